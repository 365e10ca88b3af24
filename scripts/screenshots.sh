#!/bin/sh
# `npm run screenshots`: runs the end-to-end suite, which saves a screenshot
# of each scenario in test-output/e2e/, and copies them to docs/screenshots/
# for the README. Nothing is copied unless every scenario passed, so the
# README never shows a broken state. docs/ is not in the .vsix.
set -eu
cd "$(dirname "$0")/.."
rm -rf test-output/e2e
npm run --silent test:e2e
mkdir -p docs/screenshots
for name in status-bar completion-typescript completion-python summarize doc-comment inspector server-restart; do
	cp "test-output/e2e/$name.png" docs/screenshots/
done
echo "Updated docs/screenshots/ from test-output/e2e/."
