export * from './clients';
export * from './credentials';
export * from './errors';
export * from './executor';
export * from './pipeline';
export * from './sns';
export * from './store/table';
