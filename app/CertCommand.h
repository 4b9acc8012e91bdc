#pragma once

namespace lab::app {

// `balancer-lab cert --out DIR`: a self-signed localhost certificate and key for trying HTTPS on the lab.
int runCert(int argc, char** argv);

} // namespace lab::app
