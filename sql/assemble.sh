#!/bin/sh
# Prints the install script of one SQL module, assembled as build.rs does: sql/assemble.sh pgq
set -eu
dir=$(dirname "$0")/$1
grep -v '^[[:space:]]*\(#\|$\)' "$dir/order.txt" | while read -r f; do
  printf -- '-- file: %s/%s\n' "$1" "$f"
  cat "$dir/$f"
done
