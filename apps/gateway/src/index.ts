export { createGatewayApp } from './gateway.app';
export { startGatewayServer, type GatewayServer } from './gateway.server';
export type { GatewayRuntime } from './gateway.runtime';
export { listenFamilyPorts, familyOf, type PortFamily } from './multi-port';
