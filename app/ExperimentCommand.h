#pragma once

namespace lab::app {

// `balancer-lab experiment FILE [--out DIR] [--arm NAME]...`: runs an experiment (docs/experiments.md)
// headless: each arm in a fresh lab on free ports, progress on the terminal, then the table side by side
// with the queueing theory, and results.json, arms.csv and backends.csv in DIR. Exit 0 when it ran, 2 for
// a bad file or option (the error names the file, the JSON path and what is allowed), 3 when a lab could
// not start or the files could not be written.
int runExperiment(int argc, char** argv);

} // namespace lab::app
