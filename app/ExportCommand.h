#pragma once

namespace lab::app {

// `balancer-lab export --format haproxy|nginx [--config FILE] [--out FILE] [--runtime-dir DIR] [--check]`:
// writes the lab as a HAProxy or nginx config (docs/export.md) to FILE or stdout; what the target cannot
// express is a comment in the file and a warning on stderr. --check runs the target's own validator on the
// result. Exit 0 when written (and valid), 2 for a bad option or config or a missing validator binary (the
// message names the Debian package), 3 when the file cannot be written or the validator rejects it.
int runExport(int argc, char** argv);

} // namespace lab::app
