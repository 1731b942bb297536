import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'plugboard:public';

/** The route needs no credentials (OAuth callback, inbound provider webhooks, health). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
