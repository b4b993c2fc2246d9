#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx): the CLI is used from a clone, no build step to forget.
import { register } from 'tsx/esm/api';

// These machines run Node 20; Lambda runs nodejs22.x. The SDK's notice is about the former only.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('../src/main.ts');
await main(process.argv);
