#!/bin/sh
echo "remote_coverage_tools is an offline stub (see third_party/remote_coverage_tools/README.md); bazel coverage is not supported." >&2
exit 1
