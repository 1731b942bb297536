/** Every Bull queue of the application, by name. Processors and producers use these constants. */
export const QUEUES = {
  maintenance: 'maintenance',
  webhookDeliveries: 'webhook-deliveries',
  syncs: 'integration-syncs',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
