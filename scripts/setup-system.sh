#!/bin/sh
# System packages the browser and end-to-end tests need: Chromium (driven by
# playwright-core), ripgrep and the Kerberos headers (code-server's install).
# Installs them with apt-get when run as root on Debian; otherwise says what
# is missing.
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v rg >/dev/null 2>&1 || missing="$missing ripgrep"
[ -f /usr/include/krb5.h ] || [ -f /usr/include/krb5/krb5.h ] || missing="$missing libkrb5-dev"
if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "Installing system packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null
else
	echo "Missing system packages:$missing. On Debian/Ubuntu: sudo apt-get install -y$missing" >&2
	exit 1
fi
