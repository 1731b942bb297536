# syntax=docker/dockerfile:1
# Plugboard image: one image for every role (PLUGBOARD_ROLE=api|worker|all) and for the CLI
# (migrate, plugins install, token, …). Runs as a non-root user on a read-only root filesystem: the
# only writable paths are the DATA_DIR and PLUGINS_DIR volumes and /tmp.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY console/package.json ./console/
# allowScripts in package.json decides which dependencies may run install scripts.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
# The console is typed with the API client's generated types.
COPY clients/typescript/src/generated ./clients/typescript/src/generated
COPY console ./console
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/plugboard/data \
    PLUGINS_DIR=/var/lib/plugboard/plugins \
    TMPDIR=/tmp \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY console/package.json ./console/
# Production dependencies only (the console's are all build-time), with the same allowScripts approvals as the build stage.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/console/dist ./console/dist
COPY config ./config
COPY plugins ./plugins
RUN mkdir -p /var/lib/plugboard/data /var/lib/plugboard/plugins \
    && chown -R 1000:1000 /var/lib/plugboard
# The image's own "node" user (uid/gid 1000), numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
VOLUME ["/var/lib/plugboard/data", "/var/lib/plugboard/plugins", "/tmp"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["serve"]
