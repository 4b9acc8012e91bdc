#pragma once

#include <QtGlobal>
#include <array>
#include <atomic>
#include <cstddef>

namespace lab {

// Why a TLS handshake did not complete, in the classes an operator acts on differently: a client that
// speaks plain HTTP to the TLS port (a wrong URL scheme), a protocol failure (no common version or cipher,
// a client that rejects the certificate with an alert, bytes that are not TLS), a client that sent nothing
// in time, and a client that went away in the middle (wrk at the end of its run, a port scanner, a client
// that rejects the certificate by just closing, as QSslSocket does: the server cannot tell it apart).
enum class TlsFailure { PlainHttp, Protocol, Timeout, ClientClosed };
inline constexpr std::size_t kTlsFailureClasses = 4;

// The label values of balancer_lab_tls_handshake_failures_total{reason} and the keys of /api/state.
inline const char* tlsFailureName(TlsFailure f)
{
    switch (f) {
    case TlsFailure::PlainHttp: return "plain_http";
    case TlsFailure::Protocol: return "protocol";
    case TlsFailure::Timeout: return "timeout";
    case TlsFailure::ClientClosed: return "client_closed";
    }
    return "protocol";
}

// One TLS listener's figures at one moment: Proxy::tlsStats sums the workers' TlsCounters into it.
struct TlsStats {
    quint64 handshakes = 0; // completed: a plaintext session was started for each
    std::array<quint64, kTlsFailureClasses> failures{}; // indexed by TlsFailure
    qint64 handshaking = 0; // connections accepted whose handshake is under way now
    qint64 established = 0; // connections past their handshake and open now
    quint64 decryptedBytes = 0; // application bytes read from clients (after decryption)
    quint64 encryptedBytes = 0; // application bytes written to clients (before encryption)
    quint64 failedHandshakes = 0; // the sum of failures
};

// The same figures on one worker, bumped by its TlsTerminators (relaxed atomics: only sums are read).
struct TlsCounters {
    std::atomic<quint64> handshakes{0};
    std::array<std::atomic<quint64>, kTlsFailureClasses> failures{};
    std::atomic<qint64> handshaking{0};
    std::atomic<qint64> established{0};
    std::atomic<quint64> decryptedBytes{0};
    std::atomic<quint64> encryptedBytes{0};

    void addTo(TlsStats& s) const
    {
        constexpr auto r = std::memory_order_relaxed;
        s.handshakes += handshakes.load(r);
        for (std::size_t i = 0; i < kTlsFailureClasses; ++i) {
            const quint64 n = failures[i].load(r);
            s.failures[i] += n;
            s.failedHandshakes += n;
        }
        s.handshaking += handshaking.load(r);
        s.established += established.load(r);
        s.decryptedBytes += decryptedBytes.load(r);
        s.encryptedBytes += encryptedBytes.load(r);
    }
};

} // namespace lab
