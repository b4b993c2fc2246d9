export * from './channel';
export * from './github';
export * from './http';
export * from './jira';
export * from './slack';
export * from './tickets';
export * from './webhook';
