#include "HashView.h"

#include "BackendColors.h"
#include "BackendTableModel.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/Metrics.h"

#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QVBoxLayout>
#include <cmath>

namespace lab {

namespace {

constexpr int kMinCell = 12;
constexpr int kMaxCell = 56;
constexpr int kGap = 3;

bool inRotation(BackendTableModel::RowState s)
{
    using S = BackendTableModel::RowState;
    switch (s) {
    case S::Up:
    case S::SlowStart:
    case S::PanicRouted:
    case S::HalfOpen:
    case S::Hanging:
    case S::External: return true;
    default: return false;
    }
}

bool hashAlgorithm(const QString& algorithm)
{
    return algorithm == QLatin1String("ip-hash") || algorithm == QLatin1String("ring-hash") ||
        algorithm == QLatin1String("maglev");
}

// Dark text on the light palette colours, white on the dark ones.
QColor textOn(const QColor& fill)
{
    return fill.lightnessF() > 0.55 ? QColor(0x20, 0x20, 0x20) : Qt::white;
}

struct GridLayout {
    int columns = 1;
    int cell = 0;
};

// The largest square cell that fits `n` cells in `area`.
GridLayout fit(int n, QSize area)
{
    GridLayout best;
    for (int columns = 1; columns <= n; ++columns) {
        const int rows = (n + columns - 1) / columns;
        const int cell =
            qMin((area.width() - kGap * (columns - 1)) / columns, (area.height() - kGap * (rows - 1)) / rows);
        if (cell > best.cell)
            best = {columns, cell};
    }
    best.cell = qMin(best.cell, kMaxCell);
    return best;
}

} // namespace

// The grid of user cells: paints from its HashView's state, owns none.
class HashGrid final : public QWidget {
public:
    explicit HashGrid(HashView* view)
        : QWidget(view)
        , m_view(view)
    {
        setMinimumSize(200, 120);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
        setObjectName(QStringLiteral("hashGrid"));
    }

    QRect cellRect(int index) const
    {
        const int n = int(m_view->m_users.size());
        if (index < 0 || index >= n)
            return {};
        const GridLayout g = fit(n, size());
        if (g.cell < kMinCell)
            return {};
        const int step = g.cell + kGap;
        const int rows = (n + g.columns - 1) / g.columns;
        // Centred, so a few users do not huddle in a corner of a large tab.
        const int left = (width() - (g.columns * step - kGap)) / 2;
        const int top = (height() - (rows * step - kGap)) / 2;
        return {left + (index % g.columns) * step, top + (index / g.columns) * step, g.cell, g.cell};
    }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        const QString empty = m_view->emptyText();
        if (!empty.isEmpty()) {
            p.setPen(QColor(0x70, 0x70, 0x70));
            p.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap, empty);
            return;
        }
        const HashView& v = *m_view;
        QHash<QString, const KeyMoves::Move*> movedBy;
        if (v.m_hasChange) {
            for (const KeyMoves::Move& m : v.m_moves.moved)
                movedBy.insert(m.user, &m);
        }
        QFont small = font();
        for (int i = 0; i < v.m_users.size(); ++i) {
            const QString& user = v.m_users[i];
            const QRectF r = cellRect(i);
            if (r.isEmpty())
                continue;
            const QColor fill = v.colorOf(v.m_current.backendOf.value(user));
            const bool waiting = v.m_hasChange && v.m_baseline.backendOf.contains(user) &&
                v.m_current.answers.value(user) == v.m_baseline.answers.value(user);
            p.setPen(Qt::NoPen);
            p.setBrush(waiting ? fill.lighter(150) : fill);
            p.drawRoundedRect(r, 3, 3);
            if (waiting) {
                p.setBrush(QBrush(QColor(255, 255, 255, 200), Qt::BDiagPattern));
                p.drawRoundedRect(r, 3, 3);
            }
            if (const KeyMoves::Move* m = movedBy.value(user)) {
                // The corner says where the user was; the outline says it moved.
                QPainterPath corner;
                const double s = r.width() * 0.42;
                corner.moveTo(r.topLeft());
                corner.lineTo(r.left() + s, r.top());
                corner.lineTo(r.left(), r.top() + s);
                corner.closeSubpath();
                p.setBrush(v.colorOf(m->from));
                p.setPen(QPen(Qt::white, 1));
                p.drawPath(corner);
                p.setBrush(Qt::NoBrush);
                p.setPen(QPen(QColor(0x10, 0x10, 0x10), qMax(2.0, r.width() / 14)));
                p.drawRoundedRect(r.adjusted(1, 1, -1, -1), 3, 3);
            }
            if (r.width() >= 24) {
                small.setPixelSize(qBound(8, int(r.width() / 3.2), 14));
                p.setFont(small);
                p.setPen(textOn(fill));
                // A path's last part ("/item/17" → "17") is what tells the cells apart.
                p.drawText(r, Qt::AlignCenter, v.m_paths ? user.section(QLatin1Char('/'), -1) : user);
            }
        }
    }

private:
    HashView* m_view;
};

HashView::HashView(const Lab* lab, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_headline(new QLabel)
    , m_counts(new QLabel)
{
    setObjectName(QStringLiteral("hashView"));
    m_grid = new HashGrid(this);
    m_headline->setObjectName(QStringLiteral("hashHeadline"));
    m_headline->setWordWrap(true);
    m_headline->setTextFormat(Qt::RichText);
    m_counts->setObjectName(QStringLiteral("hashCounts"));
    m_counts->setWordWrap(true);
    m_counts->setTextFormat(Qt::RichText);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->setSpacing(4);
    layout->addWidget(m_headline);
    layout->addWidget(m_grid, 1);
    layout->addWidget(m_counts);
    connect(lab, &Lab::labReset, this, &HashView::clear);
    updateTexts();
}

void HashView::clear()
{
    m_seen = false;
    m_members.clear();
    m_current = m_previous = m_baseline = {};
    m_hasChange = false;
    m_changeText.clear();
    m_moves = {};
    m_users.clear();
    m_lastSent = 0;
    updateTexts();
    m_grid->update();
}

void HashView::refresh(const LoadTotals& totals, const MetricsSnapshot& snapshot, const BackendTableModel& board)
{
    for (const BackendStats& b : snapshot.backends)
        m_colourId.insert(b.name, b.id);
    QList<Member> members;
    for (int row = 0; row < board.rowCount(); ++row) {
        const BackendTableModel::Row& r = board.row(row);
        members.append({r.name, BackendTableModel::stateText(r.state), inRotation(r.state)});
    }
    const LabConfig& c = m_lab->config();
    m_applies = hashAlgorithm(c.algorithm) || c.sticky.enabled;
    const bool paths =
        c.algorithm != QLatin1String("ip-hash") && hashAlgorithm(c.algorithm) && c.hashKey == QLatin1String("path");
    const QString key = c.algorithm + QLatin1Char('|') + c.hashKey + QLatin1Char('|') +
        (c.sticky.enabled ? c.sticky.cookie : QString());

    m_previous = m_current;
    m_current = paths ? UserPlacement::ofPaths(totals) : UserPlacement::of(totals);
    // A new run (its counters start again) is a new set of users: what the last one did says nothing.
    // Nor do users compared with paths when the key switches between them.
    if (totals.sent < m_lastSent || paths != m_paths) {
        m_previous = {};
        m_hasChange = false;
    }
    m_lastSent = totals.sent;
    m_paths = paths;
    noticeChange(members, key);
    if (m_hasChange)
        m_moves = compareUsers(m_baseline, m_current);
    m_users = m_current.backendOf.keys();
    std::sort(m_users.begin(), m_users.end(), keyNumberLess);
    updateTexts();
    m_grid->update();
}

void HashView::noticeChange(const QList<Member>& members, const QString& algorithmKey)
{
    const auto rotation = [](const QList<Member>& list) {
        QStringList names;
        for (const Member& m : list) {
            if (m.inRotation)
                names << m.name;
        }
        return names;
    };
    if (m_seen && (rotation(members) != rotation(m_members) || algorithmKey != m_algorithmKey) &&
        !m_previous.isEmpty()) {
        m_baseline = m_previous;
        m_hasChange = true;
        m_changeAt = QTime::currentTime();
        m_changeText = describeChange(m_members, members, m_algorithmKey, algorithmKey);
    }
    m_seen = true;
    m_members = members;
    m_algorithmKey = algorithmKey;
}

QString HashView::describeChange(const QList<Member>& before, const QList<Member>& after, const QString& oldKey,
                                 const QString& newKey)
{
    m_left.clear();
    m_joined.clear();
    QStringList parts;
    for (const Member& was : before) {
        const auto now =
            std::find_if(after.cbegin(), after.cend(), [&](const Member& m) { return m.name == was.name; });
        if (now == after.cend()) {
            if (was.inRotation)
                m_left << was.name;
            parts << tr("%1 removed").arg(was.name);
        } else if (was.inRotation && !now->inRotation) {
            m_left << was.name;
            parts << tr("%1 %2").arg(was.name, now->state.toLower());
        } else if (!was.inRotation && now->inRotation) {
            m_joined << was.name;
            parts << tr("%1 back in rotation").arg(was.name);
        }
    }
    for (const Member& now : after) {
        const bool existed =
            std::any_of(before.cbegin(), before.cend(), [&](const Member& m) { return m.name == now.name; });
        if (!existed) {
            if (now.inRotation)
                m_joined << now.name;
            parts << tr("%1 added").arg(now.name);
        }
    }
    if (oldKey.section(QLatin1Char('|'), 0, 0) != newKey.section(QLatin1Char('|'), 0, 0))
        parts << tr("algorithm → %1").arg(newKey.section(QLatin1Char('|'), 0, 0));
    else if (oldKey != newKey)
        parts << tr("hash key or sticky sessions changed");
    return parts.join(QStringLiteral(", "));
}

QColor HashView::colorOf(const QString& backend) const
{
    const auto it = m_colourId.constFind(backend);
    return it == m_colourId.cend() ? QColor(0xc0, 0xc0, 0xc0) : backendColor(*it);
}

QRect HashView::cellRect(const QString& user) const
{
    const QRect r = static_cast<const HashGrid*>(m_grid)->cellRect(int(m_users.indexOf(user)));
    return r.isEmpty() || !m_grid->isVisible() ? QRect() : r.translated(m_grid->pos());
}

QString HashView::emptyText() const
{
    if (!m_applies)
        return tr("Nothing to map: the lab's algorithm does not tie a user to a backend.");
    if (m_users.isEmpty())
        return m_paths ? tr("No paths yet: the key is the request path; start simulated users with a path template "
                            "such as /item/{1..60} on the Traffic tab.")
                       : tr("No users yet: start simulated users on the Traffic tab (Users 2 or more), or play "
                            "Lessons > 6 Sticky sessions and hashing.");
    return {};
}

QString HashView::headlineText() const
{
    const LabConfig& c = m_lab->config();
    if (!m_applies)
        return tr("<b>Hash view</b>: which backend each simulated user's key maps to, and which users move when a "
                  "backend leaves or joins. It is for <b>ip-hash</b>, <b>ring-hash</b> and <b>maglev</b>, and for "
                  "<b>sticky sessions</b>; the lab now uses <b>%1</b>, which sends a user's requests wherever its "
                  "rule says, not by who the user is.")
            .arg(c.algorithm);
    QString key;
    if (c.algorithm == QLatin1String("ip-hash") || c.hashKey == QLatin1String("client"))
        key = tr("the key is the user's address (u1 connects from 127.0.0.2, u2 from 127.0.0.3, …)");
    else if (c.hashKey == QLatin1String("path"))
        key = tr("the key is the request path: one cell per path the users asked for, in the colour of the "
                 "backend that answered it last");
    else if (c.hashKey.startsWith(QLatin1String("header:")))
        key = tr("the key is the %1 header (the users send X-Lab-User: u1, u2, …)").arg(c.hashKey.mid(7));
    else
        key = tr("the key is the cookie %1").arg(c.hashKey.mid(7));
    QString rule;
    if (c.algorithm == QLatin1String("ip-hash"))
        rule = tr("<b>ip-hash</b>: hash(address) mod the number of backends in rotation");
    else if (c.algorithm == QLatin1String("ring-hash"))
        rule = tr("<b>ring-hash</b>: the first backend point on the ring after the key's hash; %1").arg(key);
    else if (c.algorithm == QLatin1String("maglev"))
        rule = tr("<b>maglev</b>: the key's slot in a 65537-slot table; %1").arg(key);
    else
        rule = tr("<b>%1</b> places a user's first request").arg(c.algorithm);
    if (c.algorithm == QLatin1String("ip-hash"))
        rule += QStringLiteral("; ") + key;
    if (c.sticky.enabled)
        rule = tr("<b>Sticky sessions</b>: a user's cookie %1 names its backend while that one is in rotation "
                  "(users without cookies are placed by the algorithm). ")
                   .arg(c.sticky.cookie) +
            rule;
    return rule + (m_paths ? QStringLiteral(".") : tr(". One cell per user, in its backend's colour."));
}

QString HashView::countsText() const
{
    if (m_users.isEmpty() || !m_applies)
        return {};
    QMap<QString, int> onBackend;
    for (const QString& b : m_current.backendOf)
        ++onBackend[b];
    // Every backend of the board, in its order (one out of rotation says why it has none), then any a
    // user is still on that left the lab.
    QStringList legend;
    const auto entry = [&](const QString& name, const QString& note) {
        legend << QStringLiteral("<span style=\"color:%1\">&#9632;</span>&nbsp;%2&nbsp;%3%4")
                      .arg(colorOf(name).name(), name.toHtmlEscaped())
                      .arg(onBackend.value(name))
                      .arg(note.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(note.toHtmlEscaped()));
    };
    for (const Member& b : m_members)
        entry(b.name, b.inRotation ? QString() : b.state.toLower());
    for (auto it = onBackend.cbegin(); it != onBackend.cend(); ++it) {
        if (std::none_of(m_members.cbegin(), m_members.cend(), [&](const Member& b) { return b.name == it.key(); }))
            entry(it.key(), tr("removed"));
    }
    const QString one = m_paths ? tr("path") : tr("user");
    const QString many = m_paths ? tr("paths") : tr("users");
    QString text = QStringLiteral("%1 %2 now: ").arg(m_users.size()).arg(m_users.size() == 1 ? one : many) +
        legend.join(QStringLiteral(" · "));
    if (!m_hasChange)
        return text + tr("<br>Stop, start or add a backend (or switch the algorithm) to see which %1 move.").arg(many);
    const KeyMoves& m = m_moves;
    QStringList detail;
    int explained = 0;
    for (const QString& gone : m_left) {
        const int n = m.movedFrom.value(gone);
        const bool removed =
            std::none_of(m_members.cbegin(), m_members.cend(), [&](const Member& x) { return x.name == gone; });
        detail << tr("%1 from %2 (%3)").arg(n).arg(gone, removed ? tr("removed") : tr("out"));
        explained += n;
    }
    for (const QString& joined : m_joined) {
        const int n = int(m.moved.size()) - m.movedNotTo(joined);
        detail << tr("%1 to %2 (new)").arg(n).arg(joined);
        explained += n;
    }
    if (!m_left.isEmpty() || !m_joined.isEmpty())
        detail << tr("%1 others").arg(qMax(0, int(m.moved.size()) - explained));
    else
        for (auto it = m.movedFrom.cbegin(); it != m.movedFrom.cend(); ++it)
            detail << tr("%1 from %2").arg(it.value()).arg(it.key());
    QString moved = tr("<b>%1 of %2 %3 moved</b> since %4 (%5)")
                        .arg(m.moved.size())
                        .arg(m.compared)
                        .arg(many)
                        .arg(m_changeText.toHtmlEscaped(), m_changeAt.toString(QStringLiteral("HH:mm:ss")));
    if (!detail.isEmpty() && !m.moved.isEmpty())
        moved += QStringLiteral(": ") + detail.join(QStringLiteral(", "));
    if (m.waiting > 0)
        moved += tr("; %1 not answered since (hatched)").arg(m.waiting);
    return moved + QStringLiteral("<br>") + text + tr("<br>Outlined: moved; its corner shows where it was.");
}

void HashView::updateTexts()
{
    m_headline->setText(headlineText());
    const QString counts = countsText();
    m_counts->setText(counts);
    m_counts->setVisible(!counts.isEmpty());
}

} // namespace lab
