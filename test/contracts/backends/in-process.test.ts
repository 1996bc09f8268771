import { InProcessCoordinator } from '../../../src/fleet/in-process-coordinator.ts';
import { runCoordinatorContract } from '../coordinator.contract.ts';

// One server is the whole fleet: both "instances" are the same coordinator.
runCoordinatorContract('InProcessCoordinator', {
  make: async () => {
    const coordinator = new InProcessCoordinator();
    return { a: coordinator, b: coordinator, streaming: async () => {} };
  },
  dispose: ({ a }) => a.close(),
});
