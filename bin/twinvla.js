#!/usr/bin/env node
// The compiled CLI; `npm run build` (or `npm ci`, through `prepare`) writes dist/.
import '../dist/src/cli.js';
