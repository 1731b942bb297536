// The migrations applied by `plugboard migrate`, oldest first. `plugboard migrate --create` rewrites this file.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122034451 } from './Migration20261122034451.js';
import { Migration20261122035238 } from './Migration20261122035238.js';
import { Migration20261122035918 } from './Migration20261122035918.js';
import { Migration20261122041708 } from './Migration20261122041708.js';
import { Migration20261122044627 } from './Migration20261122044627.js';
import { Migration20261122045400 } from './Migration20261122045400.js';
import { Migration20261206005000 } from './Migration20261206005000.js';
import { Migration20261206005100 } from './Migration20261206005100.js';
import { Migration20261206013923 } from './Migration20261206013923.js';
import { Migration20261206015223 } from './Migration20261206015223.js';
import { Migration20261206015751 } from './Migration20261206015751.js';
import { Migration20261206020809 } from './Migration20261206020809.js';
import { Migration20261206021835 } from './Migration20261206021835.js';
import { Migration20261206022459 } from './Migration20261206022459.js';
import { Migration20261206043108 } from './Migration20261206043108.js';
import { Migration20261206071500 } from './Migration20261206071500.js';
import { Migration20261206093000 } from './Migration20261206093000.js';
import { Migration20261206101500 } from './Migration20261206101500.js';
import { Migration20261207004500 } from './Migration20261207004500.js';
import { Migration20261207021500 } from './Migration20261207021500.js';

export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261122034451', class: Migration20261122034451 },
  { name: 'Migration20261122035238', class: Migration20261122035238 },
  { name: 'Migration20261122035918', class: Migration20261122035918 },
  { name: 'Migration20261122041708', class: Migration20261122041708 },
  { name: 'Migration20261122044627', class: Migration20261122044627 },
  { name: 'Migration20261122045400', class: Migration20261122045400 },
  { name: 'Migration20261206005000', class: Migration20261206005000 },
  { name: 'Migration20261206005100', class: Migration20261206005100 },
  { name: 'Migration20261206013923', class: Migration20261206013923 },
  { name: 'Migration20261206015223', class: Migration20261206015223 },
  { name: 'Migration20261206015751', class: Migration20261206015751 },
  { name: 'Migration20261206020809', class: Migration20261206020809 },
  { name: 'Migration20261206021835', class: Migration20261206021835 },
  { name: 'Migration20261206022459', class: Migration20261206022459 },
  { name: 'Migration20261206043108', class: Migration20261206043108 },
  { name: 'Migration20261206071500', class: Migration20261206071500 },
  { name: 'Migration20261206093000', class: Migration20261206093000 },
  { name: 'Migration20261206101500', class: Migration20261206101500 },
  { name: 'Migration20261207004500', class: Migration20261207004500 },
  { name: 'Migration20261207021500', class: Migration20261207021500 },
];
