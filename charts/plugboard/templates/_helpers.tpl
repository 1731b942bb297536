{{/* Names */}}
{{- define "plugboard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "plugboard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "plugboard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "plugboard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "plugboard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "plugboard.labels" -}}
helm.sh/chart: {{ include "plugboard.chart" . }}
{{ include "plugboard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: plugboard
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "plugboard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "plugboard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "plugboard.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Secret names: yours when existingSecret is set, else the chart's. */}}
{{- define "plugboard.secretName" -}}
{{- include "plugboard.fullname" . -}}
{{- end -}}

{{- define "plugboard.databaseSecret" -}}
{{- default (include "plugboard.secretName" .) .Values.postgresql.existingSecret -}}
{{- end -}}

{{- define "plugboard.databaseSecretKey" -}}
{{- if .Values.postgresql.existingSecret }}{{ .Values.postgresql.existingSecretKey }}{{ else }}DATABASE_URL{{ end -}}
{{- end -}}

{{- define "plugboard.redisSecret" -}}
{{- default (include "plugboard.secretName" .) .Values.redis.existingSecret -}}
{{- end -}}

{{- define "plugboard.redisSecretKey" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}REDIS_URL{{ end -}}
{{- end -}}

{{- define "plugboard.appSecret" -}}
{{- default (include "plugboard.secretName" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "plugboard.metricsSecret" -}}
{{- default (include "plugboard.secretName" .) .Values.metrics.existingSecret -}}
{{- end -}}

{{- define "plugboard.metricsSecretKey" -}}
{{- if .Values.metrics.existingSecret }}{{ .Values.metrics.existingSecretKey }}{{ else }}METRICS_TOKEN{{ end -}}
{{- end -}}

{{- define "plugboard.metricsEnabled" -}}
{{- if or .Values.metrics.token .Values.metrics.existingSecret }}true{{ end -}}
{{- end -}}

{{/*
A value kept across upgrades: the one given, else the one already in the chart's Secret, else a
new random one (generated once, at install).
*/}}
{{- define "plugboard.persistentSecretValue" -}}
{{- $given := index . 0 -}}
{{- $key := index . 1 -}}
{{- $generated := index . 2 -}}
{{- $root := index . 3 -}}
{{- if $given -}}
{{- $given -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" $root.Release.Namespace (include "plugboard.secretName" $root) -}}
{{- if and $existing (hasKey ($existing.data | default dict) $key) -}}
{{- index $existing.data $key | b64dec -}}
{{- else -}}
{{- $generated -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by every Plugboard container (API, worker, migrations, plugin installs). */}}
{{- define "plugboard.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "plugboard.databaseSecret" . }}
      key: {{ include "plugboard.databaseSecretKey" . }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "plugboard.redisSecret" . }}
      key: {{ include "plugboard.redisSecretKey" . }}
{{- if not .Values.auth.jwksUri }}
- name: AUTH_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "plugboard.appSecret" . }}
      key: AUTH_JWT_SECRET
{{- end }}
- name: ENCRYPTION_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ include "plugboard.appSecret" . }}
      key: ENCRYPTION_KEYS
{{- if include "plugboard.metricsEnabled" . }}
- name: METRICS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "plugboard.metricsSecret" . }}
      key: {{ include "plugboard.metricsSecretKey" . }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "plugboard.envFrom" -}}
- configMapRef:
    name: {{ include "plugboard.fullname" . }}
{{- with .Values.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Writable paths on a read-only root filesystem. */}}
{{- define "plugboard.volumes" -}}
- name: tmp
  emptyDir: {}
- name: data
  emptyDir: {}
- name: plugins
  emptyDir:
    sizeLimit: {{ .Values.plugins.volumeSizeLimit }}
{{- if .Values.plugins.trustedPublishers }}
- name: trusted-publishers
  configMap:
    name: {{ include "plugboard.fullname" . }}-trusted-publishers
{{- end }}
{{- end -}}

{{- define "plugboard.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/plugboard/data
- name: plugins
  mountPath: /var/lib/plugboard/plugins
{{- if .Values.plugins.trustedPublishers }}
- name: trusted-publishers
  mountPath: /etc/plugboard/trusted-publishers
  readOnly: true
{{- end }}
{{- end -}}

{{/* The pod of one component: "api" or "worker". */}}
{{- define "plugboard.podTemplate" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $values := index $root.Values $component -}}
metadata:
  labels:
    {{- include "plugboard.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
    {{- with $values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    checksum/secret-values: {{ list $root.Values.postgresql $root.Values.redis $root.Values.secrets $root.Values.metrics.token | toJson | sha256sum }}
    {{- with $values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "plugboard.serviceAccountName" $root }}
  automountServiceAccountToken: {{ $root.Values.serviceAccount.automountToken }}
  {{- with $root.Values.pullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
  {{- with $values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- if $root.Values.plugins.install }}
  initContainers:
    - name: install-plugins
      image: {{ include "plugboard.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      command: ["/bin/sh", "-ec", "for source in \"$@\"; do node dist/src/main.js plugins install \"$source\"; done", "install-plugins"]
      args:
        {{- range $root.Values.plugins.install }}
        - {{ . | quote }}
        {{- end }}
      env:
        {{- include "plugboard.env" $root | nindent 8 }}
      envFrom:
        {{- include "plugboard.envFrom" $root | nindent 8 }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      volumeMounts:
        {{- include "plugboard.volumeMounts" $root | nindent 8 }}
      resources:
        {{- toYaml $values.resources | nindent 8 }}
  {{- end }}
  containers:
    - name: plugboard
      image: {{ include "plugboard.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args: ["serve"]
      env:
        - name: PLUGBOARD_ROLE
          value: {{ $component }}
        {{- include "plugboard.env" $root | nindent 8 }}
      envFrom:
        {{- include "plugboard.envFrom" $root | nindent 8 }}
      ports:
        - name: http
          containerPort: 3000
          protocol: TCP
      livenessProbe:
        httpGet:
          path: {{ $root.Values.probes.liveness.path }}
          port: http
        periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
      readinessProbe:
        httpGet:
          path: {{ $root.Values.probes.readiness.path }}
          port: http
        periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
      startupProbe:
        httpGet:
          path: {{ $root.Values.probes.startup.path }}
          port: http
        periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
        timeoutSeconds: {{ $root.Values.probes.startup.timeoutSeconds }}
        failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
      {{- if gt (int $values.preStopSleepSeconds) 0 }}
      lifecycle:
        preStop:
          exec:
            command: ["sleep", "{{ $values.preStopSleepSeconds }}"]
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      volumeMounts:
        {{- include "plugboard.volumeMounts" $root | nindent 8 }}
      resources:
        {{- toYaml $values.resources | nindent 8 }}
  volumes:
    {{- include "plugboard.volumes" $root | nindent 4 }}
  {{- with $values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
