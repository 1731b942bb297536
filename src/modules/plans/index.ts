/** The plans module's public surface: plan definitions, limits and usage counters. */
export { PlansModule } from './plans.module.js';
export { PlansService } from './plans.service.js';
export { integrationLimit, limitsByCount, type Limit, type Plan } from './plan-catalog.js';
