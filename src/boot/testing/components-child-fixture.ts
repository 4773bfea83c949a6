/**
 * The child side of `--components-process separate` as a program of its own, for components-process.test.ts: the
 * real runComponentsChild, without the whole CLI. The tests give it a configuration that starts no component, so it
 * needs no API server.
 */
import { runComponentsChild } from '../components-child.js';

await runComponentsChild();
