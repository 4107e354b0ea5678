// The distributed mode's entry points for the faces (docs/ARCHITECTURE.md, "Queue intake").
export { isQueueIntake, openQueueIntake, queueSettings, type QueueIntake, type QueueState } from './intake.ts';
export { startQueueWorker, type QueueWorker } from './worker.ts';
