import { Global, Module } from '@nestjs/common';
import { KeyRotationService } from './key-rotation.service.js';
import { CredentialKeyring } from './keyring.js';

@Global()
@Module({ providers: [CredentialKeyring, KeyRotationService], exports: [CredentialKeyring, KeyRotationService] })
export class CryptoModule {}
