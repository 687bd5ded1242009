export { startStandalone, type Standalone } from './standalone';
