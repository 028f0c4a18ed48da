/**
 * What the firmware calls itself: in Improv's Device Info (serial-provisioning.ts) and in the web
 * installer's manifest (web/installer/manifest.json `name` and `version`), which ESP Web Tools
 * compares with Device Info to offer an update rather than a new install. Kept equal to the
 * manifest and package.json by hosttest/node/web-installer.test.ts.
 */
export const FIRMWARE_NAME = "paycard";
export const FIRMWARE_VERSION = "0.1.0";
