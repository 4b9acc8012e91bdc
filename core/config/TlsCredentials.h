#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QString>

namespace lab {

// A TLS listener's certificate chain and private key, read from PEM files and checked before anything
// listens: each file exists and parses, the certificate is inside its validity period, and the key is
// the one the certificate was issued for. OpenSSL (libcrypto) does the checks because Qt's API cannot say
// whether a key matches a certificate; Qt's types hold the result for QSslConfiguration.
//
// Errors name the file and what is wrong with it ("/etc/lab/key.pem: not a PEM private key (...)"), so
// the same sentence serves the config loader, `serve --tls-cert/--tls-key` and a refused reload.
struct TlsCredentials {
    QList<QSslCertificate> chain; // the leaf first, then any intermediates in the file's order
    QSslKey key;

    // False with a sentence in *error; *out is untouched then.
    static bool load(const QString& certFile, const QString& keyFile, TlsCredentials* out, QString* error);

    // What every handshake on a TLS listener uses: this chain and key, TLS 1.2 or 1.3, ALPN http/1.1 (the
    // proxy speaks HTTP/1.1 only, so a client offering h2 settles on it), no client certificates, and the
    // ciphers of serverCiphers(). Build it once per listener: each QSslSocket copies it.
    QSslConfiguration serverConfiguration() const;
    // TLS 1.3's suites and, for TLS 1.2, ECDHE with an AEAD cipher (AES-GCM, ChaCha20-Poly1305) for ECDSA
    // and RSA keys: what Mozilla's "intermediate" profile allows. Qt builds an OpenSSL context for every
    // socket from the configuration's cipher list, so the short list is also cheaper: 0.52 ms instead of
    // 0.66-0.69 ms per accepted connection with Qt's default list of every supported cipher (measured,
    // 300 sockets each, bench/README.md "TLS termination").
    static QList<QSslCipher> serverCiphers();
};

} // namespace lab
