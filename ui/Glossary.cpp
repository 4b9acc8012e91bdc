#include "Glossary.h"

#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace lab {

namespace {
QString tr(const char* text)
{
    return QCoreApplication::translate("Glossary", text);
}
} // namespace

QList<GlossaryEntry> glossaryEntries()
{
    return {
        {tr("p50, p95, p99"),
         tr("Latency percentiles: half of the requests were answered faster than p50, 95 in 100 faster than p95, "
            "99 in 100 faster than p99. p99 shows the slow tail that an average hides.")},
        {tr("req/s"), tr("Requests per second, counted over the last second.")},
        {tr("in flight"), tr("Requests a backend has been sent and has not finished answering yet.")},
        {tr("P2C (power of two choices)"),
         tr("Pick two backends at random and send the request to the one with fewer requests in flight: almost "
            "as good as asking every backend, at the cost of asking two.")},
        {tr("least-connections"), tr("Send each request to the backend with the fewest requests in flight.")},
        {tr("hash key"),
         tr("What ip-hash, ring-hash and maglev hash to choose a backend: the client address, the path, a header "
            "or a cookie. The same key goes to the same backend while the set of backends stays the same.")},
        {tr("sticky session"),
         tr("A cookie the proxy sets so that a client comes back to the backend it was first sent to.")},
        {tr("drain vs stop"),
         tr("Draining a backend sends it no new requests but lets the ones in flight finish; stopping it closes "
            "it at once, and requests in flight fail (a retry may move them to another backend).")},
        {tr("health check, rise/fall"),
         tr("The proxy asks each backend GET /health every interval; after 'fall' failures in a row it marks it "
            "DOWN, after 'rise' successes UP again.")},
        {tr("ejection (outlier detection)"),
         tr("A backend that answers with errors more than the others is taken out of the pool for a while, even "
            "if its health check passes, then let back in.")},
        {tr("circuit breaker"),
         tr("After too many failures the proxy stops sending to a backend (open), later lets a few requests "
            "through to test it (half-open), and closes again when they succeed.")},
        {tr("slow start"),
         tr("A backend that has just come back gets a growing share of the traffic over a few seconds instead of "
            "its full share at once, so a cold backend is not flooded.")},
        {tr("queue"),
         tr("Requests waiting at a backend for a free worker. A full queue answers 503; a long one shows as "
            "latency.")},
        {tr("workers"),
         tr("How many requests an embedded backend serves at the same time; the rest wait in its queue.")},
        {tr("retry"),
         tr("Sending a request that failed (refused, timed out, or an answer listed in Retries on) again to "
            "another backend, before any byte of the answer reached the client.")},
        {tr("rate limit, burst"),
         tr("Requests a second each client (or header value) may send on average, and how many it may send at "
            "once; over it the proxy answers 429 with Retry-After.")},
        {tr("step mode"),
         tr("The proxy holds each new request before it picks a backend until you press Step, so each pick can "
            "be followed.")},
    };
}

QDialog* makeGlossaryDialog(QWidget* parent)
{
    auto* dialog = new QDialog(parent);
    dialog->setObjectName(QStringLiteral("glossary"));
    dialog->setWindowTitle(tr("Glossary"));
    auto* text = new QTextBrowser;
    text->setObjectName(QStringLiteral("glossaryText"));
    QString html;
    for (const GlossaryEntry& e : glossaryEntries())
        html += QStringLiteral("<p><b>%1</b>: %2</p>").arg(e.term.toHtmlEscaped(), e.meaning.toHtmlEscaped());
    text->setHtml(html);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(text, 1);
    layout->addWidget(buttons);
    // Fits a 1024x768 screen; the text scrolls at any zoom.
    dialog->resize(560, 480);
    return dialog;
}

} // namespace lab
