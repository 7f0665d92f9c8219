#!/usr/bin/env node
// The installed command runs the compiled CLI (npm run build, run by npm install/ci through "prepare").
import '../dist/cli/main.js';
