export * from './analyze';
export * from './choices';
export * from './conditions';
export * from './document';
export * from './principals';
export * from './trust-policy';
