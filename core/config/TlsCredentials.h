#pragma once

#include <QList>
#include <QSslCertificate>
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
};

} // namespace lab
