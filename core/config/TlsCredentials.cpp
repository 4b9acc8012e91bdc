#include "TlsCredentials.h"

#include <QDateTime>
#include <QFile>
#include <QSslCipher>
#include <QSslSocket>
#include <memory>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace lab {

namespace {

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// OpenSSL's reason for the last failure on this thread ("bad base64 decode"), and the queue emptied.
QString opensslReason()
{
    const unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    if (e == 0)
        return QStringLiteral("no PEM block found");
    const char* reason = ERR_reason_error_string(e);
    return reason ? QString::fromLatin1(reason) : QStringLiteral("OpenSSL error %1").arg(e);
}

bool readFile(const QString& name, const char* what, QByteArray* data, QString* error)
{
    QFile f(name);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read the %2: %3").arg(name, QLatin1String(what), f.errorString());
        return false;
    }
    *data = f.readAll();
    if (data->isEmpty()) {
        *error = QStringLiteral("%1: the %2 file is empty").arg(name, QLatin1String(what));
        return false;
    }
    return true;
}

QString utcText(const QDateTime& t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"));
}

} // namespace

bool TlsCredentials::load(const QString& certFile, const QString& keyFile, TlsCredentials* out, QString* error)
{
    QByteArray certPem;
    QByteArray keyPem;
    if (!readFile(certFile, "certificate", &certPem, error) || !readFile(keyFile, "private key", &keyPem, error))
        return false;

    ERR_clear_error();
    std::unique_ptr<BIO, BioFree> certBio(BIO_new_mem_buf(certPem.constData(), int(certPem.size())));
    std::unique_ptr<X509, X509Free> leaf(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
    if (!leaf) {
        *error = QStringLiteral("%1: not a PEM certificate (%2); expected a -----BEGIN CERTIFICATE----- block")
                     .arg(certFile, opensslReason());
        return false;
    }
    std::unique_ptr<BIO, BioFree> keyBio(BIO_new_mem_buf(keyPem.constData(), int(keyPem.size())));
    // No passphrase callback: an encrypted key fails here instead of prompting on the terminal.
    std::unique_ptr<EVP_PKEY, PkeyFree> pkey(PEM_read_bio_PrivateKey(
        keyBio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
    if (!pkey) {
        *error = QStringLiteral("%1: not a PEM private key (%2); expected an unencrypted -----BEGIN PRIVATE "
                                "KEY----- block")
                     .arg(keyFile, opensslReason());
        return false;
    }
    if (X509_check_private_key(leaf.get(), pkey.get()) != 1) {
        ERR_clear_error();
        *error = QStringLiteral("%1: this private key does not belong to the certificate in %2").arg(keyFile, certFile);
        return false;
    }

    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem, QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull()) {
        *error = QStringLiteral("%1: Qt cannot read this certificate").arg(certFile);
        return false;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (chain.first().expiryDate() < now) {
        *error = QStringLiteral("%1: the certificate expired on %2").arg(certFile, utcText(chain.first().expiryDate()));
        return false;
    }
    if (chain.first().effectiveDate() > now) {
        *error = QStringLiteral("%1: the certificate is not valid before %2")
                     .arg(certFile, utcText(chain.first().effectiveDate()));
        return false;
    }
    QSsl::KeyAlgorithm algorithm = QSsl::Opaque;
    switch (EVP_PKEY_base_id(pkey.get())) {
    case EVP_PKEY_RSA: algorithm = QSsl::Rsa; break;
    case EVP_PKEY_EC: algorithm = QSsl::Ec; break;
    case EVP_PKEY_DSA: algorithm = QSsl::Dsa; break;
    default:
        *error = QStringLiteral("%1: a %2 key; the lab's TLS takes RSA or EC keys")
                     .arg(keyFile, QString::fromLatin1(OBJ_nid2sn(EVP_PKEY_base_id(pkey.get()))));
        return false;
    }
    QSslKey key(keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
    if (key.isNull()) {
        *error = QStringLiteral("%1: Qt cannot read this private key").arg(keyFile);
        return false;
    }
    out->chain = chain;
    out->key = key;
    return true;
}

QList<QSslCipher> TlsCredentials::serverCiphers()
{
    QList<QSslCipher> ciphers;
    for (const QSslCipher& c : QSslConfiguration::supportedCiphers()) {
        const QString encryption = c.encryptionMethod();
        const bool aead = encryption.contains(QLatin1String("GCM")) || encryption.contains(QLatin1String("CHACHA20"));
        if (c.protocol() == QSsl::TlsV1_3 || (c.keyExchangeMethod() == QLatin1String("ECDH") && aead))
            ciphers << c;
    }
    return ciphers;
}

QSslConfiguration TlsCredentials::serverConfiguration() const
{
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setLocalCertificateChain(chain);
    c.setPrivateKey(key);
    c.setProtocol(QSsl::TlsV1_2OrLater);
    c.setPeerVerifyMode(QSslSocket::VerifyNone);
    c.setAllowedNextProtocols({QByteArrayLiteral("http/1.1")});
    c.setCiphers(serverCiphers());
    return c;
}

} // namespace lab
