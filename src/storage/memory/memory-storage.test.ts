import { runStorageConformance } from '../conformance.js';
import { MemoryStorage } from './memory-storage.js';

runStorageConformance('MemoryStorage', async () => ({ storage: new MemoryStorage(), cleanup: async () => {} }));
