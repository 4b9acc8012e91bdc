// Picks per second per algorithm (Google Benchmark), single-threaded, with 3 and 100 backends, without
// explanations (the proxy asks for one only on sampled requests). The pool's lock and filtering are
// measured separately (BM_PoolPick; BM_PoolPickMaglev with a table algorithm). Results: bench/README.md.
#include "backend/BackendPool.h"
#include "balancing/Balancer.h"
#include "balancing/Registry.h"

#include <benchmark/benchmark.h>

using namespace lab;

namespace {
struct Backends {
    std::vector<BackendPtr> owned;
    std::vector<Backend*> raw;
    explicit Backends(int n)
    {
        for (int i = 0; i < n; ++i) {
            auto b = std::make_shared<Backend>();
            b->id = i;
            b->name = QStringLiteral("backend-%1").arg(i);
            b->nameUtf8 = b->name.toUtf8();
            b->weight = 1 + i % 3;
            b->activeRequests = i % 5;
            owned.push_back(b);
            raw.push_back(b.get());
        }
    }
};

void pickLoop(benchmark::State& state, const char* algorithm)
{
    Backends backends(int(state.range(0)));
    auto bal = makeBalancer(QString::fromLatin1(algorithm));
    const std::span<Backend* const> eligible(backends.raw.data(), backends.raw.size());
    PickContext context;
    context.clientAddress = QHostAddress(QStringLiteral("10.0.0.1"));
    context.path = "/users/42";
    context.nowMs = 1'000'000;
    quint32 client = 0x0a000001;
    bal->rebuild(eligible); // the hash algorithms' table, built once as the pool does on a change
    for (auto _ : state) {
        context.clientAddress.setAddress(++client); // a different key each time for the hash algorithms
        benchmark::DoNotOptimize(bal->pick(eligible, context));
    }
    state.SetItemsProcessed(state.iterations());
}

// keyed: a different client each pick, so a hash algorithm looks up a different slot each time.
void poolPickLoop(benchmark::State& state, const char* algorithm, bool keyed)
{
    QList<BackendConfig> configs;
    for (int i = 0; i < state.range(0); ++i) {
        BackendConfig c;
        c.name = QStringLiteral("backend-%1").arg(i);
        c.port = 9000 + i;
        configs << c;
    }
    BackendPool pool(configs, QString::fromLatin1(algorithm));
    PickContext context;
    context.clientAddress = QHostAddress(QStringLiteral("10.0.0.1"));
    quint32 client = 0x0a000001;
    for (auto _ : state) {
        if (keyed)
            context.clientAddress.setAddress(++client);
        benchmark::DoNotOptimize(pool.pick(context, {}));
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_PoolPick(benchmark::State& state)
{
    poolPickLoop(state, "round-robin", false);
}

// The pool with a table algorithm: the table is built when the pool is made; picks only read it.
void BM_PoolPickMaglev(benchmark::State& state)
{
    poolPickLoop(state, "maglev", true);
}
} // namespace

#define LAB_PICK_BENCH(fn, name)                                                                                       \
    void fn(benchmark::State& s)                                                                                       \
    {                                                                                                                  \
        pickLoop(s, name);                                                                                             \
    }                                                                                                                  \
    BENCHMARK(fn)->Arg(3)->Arg(100)

LAB_PICK_BENCH(BM_RoundRobin, "round-robin");
LAB_PICK_BENCH(BM_WeightedRoundRobin, "weighted-round-robin");
LAB_PICK_BENCH(BM_LeastConnections, "least-connections");
LAB_PICK_BENCH(BM_PowerOfTwoChoices, "power-of-two-choices");
LAB_PICK_BENCH(BM_Random, "random");
LAB_PICK_BENCH(BM_IpHash, "ip-hash");
LAB_PICK_BENCH(BM_RingHash, "ring-hash");
LAB_PICK_BENCH(BM_Maglev, "maglev");
LAB_PICK_BENCH(BM_LeastLatency, "least-latency");
BENCHMARK(BM_PoolPick)->Arg(3)->Arg(100);
BENCHMARK(BM_PoolPickMaglev)->Arg(3)->Arg(100);

BENCHMARK_MAIN();
