#include "SelfSignedCertificate.h"

#include <QDir>
#include <QFile>
#include <functional>
#include <memory>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace lab {

namespace {

struct Free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(X509* p) const { X509_free(p); }
    void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
    void operator()(BIO* p) const { BIO_free(p); }
    void operator()(BIGNUM* p) const { BN_free(p); }
};
template <typename T> using Owned = std::unique_ptr<T, Free>;

QString lastError(const char* step)
{
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    char text[256] = {};
    ERR_error_string_n(e, text, sizeof text);
    return QStringLiteral("%1 failed: %2").arg(QLatin1String(step), QString::fromLatin1(text));
}

bool addExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value)
{
    Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
    return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

QByteArray toPem(const std::function<int(BIO*)>& write)
{
    Owned<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1)
        return {};
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return QByteArray(data, int(n));
}

bool save(const QString& path, const QByteArray& data, QFile::Permissions permissions, QString* error)
{
    // Permissions before the bytes: the key is never readable by others, not even for a moment.
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || !f.setPermissions(permissions) ||
        f.write(data) != data.size() || !f.flush()) {
        *error = QStringLiteral("%1: cannot write: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

} // namespace

bool SelfSignedCertificate::write(const QString& dir, SelfSignedCertificate* out, QString* error)
{
    if (!QDir().mkpath(dir)) {
        *error = QStringLiteral("%1: cannot create the directory").arg(dir);
        return false;
    }
    ERR_clear_error();
    Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
    if (!key) {
        *error = lastError("EC P-256 key generation");
        return false;
    }
    Owned<X509> cert(X509_new());
    Owned<BIGNUM> serial(BN_new());
    // A random 159-bit positive serial (RFC 5280: unique per issuer, at most 20 octets).
    if (!cert || !serial || BN_rand(serial.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) || X509_set_version(cert.get(), 2) != 1) {
        *error = lastError("certificate setup");
        return false;
    }
    // An hour back, so a client whose clock is a little behind accepts it at once.
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), long(kValidDays) * 24 * 3600);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Balancer Lab"), -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    const bool extended = addExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
        addExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
        addExtension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth") &&
        addExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash") &&
        addExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always") &&
        addExtension(cert.get(), &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
    if (!extended || X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
        *error = lastError("signing the certificate");
        return false;
    }
    const QByteArray certPem = toPem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
    const QByteArray keyPem =
        toPem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
    if (certPem.isEmpty() || keyPem.isEmpty()) {
        *error = lastError("PEM encoding");
        return false;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digestLength = 0;
    X509_digest(cert.get(), EVP_sha256(), digest, &digestLength);

    SelfSignedCertificate made;
    made.certFile = QDir(dir).filePath(QStringLiteral("cert.pem"));
    made.keyFile = QDir(dir).filePath(QStringLiteral("key.pem"));
    made.notAfter = QDateTime::currentDateTimeUtc().addDays(kValidDays);
    made.sha256Fingerprint =
        QString::fromLatin1(QByteArray(reinterpret_cast<const char*>(digest), int(digestLength)).toHex(':').toUpper());
    if (!save(made.keyFile, keyPem, QFile::ReadOwner | QFile::WriteOwner, error) ||
        !save(made.certFile, certPem, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther,
              error))
        return false;
    *out = made;
    return true;
}

} // namespace lab
