#include "ConsolePanel.h"

#include "PanelFields.h"
#include "lab/Lab.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace lab {

ConsolePanel::ConsolePanel(Lab* lab, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_client(new ConsoleClient(this))
    , m_method(new QComboBox)
    , m_path(new QLineEdit(QStringLiteral("/")))
    , m_headers(new QPlainTextEdit)
    , m_body(new QPlainTextEdit)
    , m_send(new QPushButton(tr("Send")))
    , m_result(new QLabel)
    , m_attempts(new QLabel)
    , m_response(new QPlainTextEdit)
{
    m_method->setEditable(true);
    m_method->addItems({QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"), QStringLiteral("DELETE"),
                        QStringLiteral("HEAD"), QStringLiteral("PATCH"), QStringLiteral("OPTIONS")});
    m_method->setToolTip(tr("The request method (any token is allowed)."));
    m_path->setToolTip(tr("The request target, e.g. /api/users?id=42."));
    m_headers->setPlaceholderText(tr("Extra headers, one per line: Name: value"));
    m_headers->setToolTip(tr("Sent as typed; Host, Content-Length and Connection are set by the console."));
    m_body->setPlaceholderText(tr("Body (sent with Content-Length)"));
    m_headers->setMaximumHeight(54);
    m_body->setMaximumHeight(54);
    m_send->setObjectName(QStringLiteral("consoleSend"));
    m_send->setToolTip(tr("Send the request through the proxy (Ctrl+Return)."));
    m_send->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    m_result->setObjectName(QStringLiteral("consoleResult"));
    m_result->setWordWrap(true); // a long explanation must not widen the window past the screen
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_attempts->setWordWrap(true);
    m_attempts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_response->setReadOnly(true);
    m_response->setPlaceholderText(tr("The response's status line, headers and body appear here."));
    QFont mono(QStringLiteral("DejaVu Sans Mono"));
    mono.setStyleHint(QFont::Monospace);
    mono.setPointSizeF(font().pointSizeF() * 0.9);
    m_response->setFont(mono);

    auto* line = new QHBoxLayout;
    line->addWidget(m_method);
    line->addWidget(m_path, 1);
    line->addWidget(m_send);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(line);
    layout->addWidget(m_headers);
    layout->addWidget(m_body);
    layout->addWidget(m_result);
    layout->addWidget(m_attempts);
    layout->addWidget(m_response, 1);

    connect(m_send, &QPushButton::clicked, this, &ConsolePanel::send);
    connect(m_path, &QLineEdit::returnPressed, this, &ConsolePanel::send);
    connect(m_client, &ConsoleClient::finished, this, &ConsolePanel::show);
    connect(m_lab, &Lab::labReset, this, &ConsolePanel::updateTarget);
    connect(m_lab, &Lab::proxyStateChanged, this, &ConsolePanel::updateTarget);
    updateTarget();
}

void ConsolePanel::updateTarget()
{
    const bool http = m_lab->hasHttpListener();
    m_send->setEnabled(http && !m_busy);
    if (!http)
        m_result->setText(noHttpListenerText());
    else if (m_result->text() == noHttpListenerText())
        m_result->clear();
}

void ConsolePanel::send()
{
    if (!m_lab->hasHttpListener()) {
        m_result->setText(noHttpListenerText());
        return;
    }
    Proxy* p = m_lab->httpProxy();
    if (!p || !p->isListening()) {
        m_result->setText(tr("<b>The proxy is not running</b>: start it first."));
        return;
    }
    ConsoleRequest r;
    r.address = p->settings().address;
    if (r.address == QHostAddress::Any || r.address == QHostAddress::AnyIPv4)
        r.address = QHostAddress::LocalHost;
    r.port = p->port();
    r.method = m_method->currentText().trimmed().toLatin1();
    r.path = m_path->text().trimmed().toUtf8();
    if (r.method.isEmpty() || r.method.contains(' ') || !r.path.startsWith('/') || r.path.contains(' ')) {
        m_result->setText(tr("<b>Not sent</b>: the method is one word and the path starts with / and has no spaces."));
        return;
    }
    QString error;
    if (!ConsoleRequest::parseHeaders(m_headers->toPlainText(), &r.headers, &error)) {
        m_result->setText(tr("<b>Not sent</b>: %1").arg(error.toHtmlEscaped()));
        return;
    }
    r.body = m_body->toPlainText().toUtf8();
    m_busy = true;
    m_send->setEnabled(false);
    m_result->setText(
        tr("sending %1 %2 to the HTTP listener %3:%4 …")
            .arg(QString::fromLatin1(r.method), QString::fromUtf8(r.path).toHtmlEscaped(), r.address.toString())
            .arg(r.port));
    m_attempts->clear();
    m_client->send(r);
}

void ConsolePanel::show(const ConsoleResponse& r)
{
    m_busy = false;
    updateTarget();
    if (!r.error.isEmpty()) {
        m_result->setText(tr("<b>No response</b>: %1").arg(r.error.toHtmlEscaped()));
        m_response->clear();
    } else {
        m_result->setText(tr("<b>%1 %2</b> · served by <b>%3</b> · %4 ms · %5 body bytes")
                              .arg(r.status)
                              .arg(QString::fromLatin1(r.reason).toHtmlEscaped(),
                                   r.servedBy.isEmpty() ? tr("the proxy itself") : r.servedBy.toHtmlEscaped())
                              .arg(r.elapsedMs, 0, 'f', 2)
                              .arg(r.bodyBytes));
        QString text = QStringLiteral("HTTP/1.1 %1 %2\n").arg(r.status).arg(QString::fromLatin1(r.reason));
        for (const http::HttpHeader& h : r.headers)
            text += QString::fromLatin1(h.name) + QStringLiteral(": ") + QString::fromUtf8(h.value) + QLatin1Char('\n');
        text += QLatin1Char('\n') + QString::fromUtf8(r.body);
        if (r.bodyBytes > r.body.size())
            text += tr("\n… (%1 more bytes not shown)").arg(r.bodyBytes - r.body.size());
        m_response->setPlainText(text);
    }
    lookUpTrace(r.token, 10);
}

void ConsolePanel::lookUpTrace(const QString& token, int triesLeft)
{
    Proxy* p = m_lab->httpProxy();
    const std::optional<TraceEntry> e = p ? p->trace().findToken(token) : std::nullopt;
    if (e) {
        m_attempts->setText(
            tr("Attempts: %1")
                .arg(e->attempts.isEmpty() ? tr("none (answered by the proxy)") : e->attempts.toHtmlEscaped()) +
            (e->why.isEmpty() ? QString() : tr("<br>Why: %1").arg(e->why.toHtmlEscaped())));
        Q_EMIT answered();
        return;
    }
    if (triesLeft > 0) {
        QTimer::singleShot(30, this, [this, token, triesLeft] { lookUpTrace(token, triesLeft - 1); });
        return;
    }
    m_attempts->setText(tr("Attempts: not in the proxy's trace (the request did not reach the proxy)."));
    Q_EMIT answered();
}

} // namespace lab
