#pragma once

#include <QDateTime>
#include <QString>

namespace lab {

// A certificate and key for trying HTTPS on the lab at once: self-signed, for "localhost" with the
// subject alternative names DNS:localhost, IP:127.0.0.1 and IP:::1, so that
// `curl --cacert DIR/cert.pem https://localhost:PORT/` verifies it without further setup. The key is an
// EC P-256 key (handshakes are cheap, every TLS stack takes it). Made with OpenSSL's C API (libcrypto), no
// `openssl` process. Not a CA: the certificate is its own trust anchor (basicConstraints CA:FALSE,
// extendedKeyUsage serverAuth), as tools such as mkcert's leaf certificates are.
struct SelfSignedCertificate {
    QString certFile; // DIR/cert.pem
    QString keyFile; // DIR/key.pem, readable by the owner only
    QDateTime notAfter;
    QString sha256Fingerprint; // "AB:CD:..." of the certificate's DER form

    static constexpr int kValidDays = 365;
    // Writes DIR/cert.pem and DIR/key.pem (DIR is created when missing; existing files are replaced).
    // False with a sentence naming the path in *error.
    static bool write(const QString& dir, SelfSignedCertificate* out, QString* error);
};

} // namespace lab
