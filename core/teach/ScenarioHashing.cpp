#include "ScenarioHashing.h"

namespace lab {

void readUsersProfile(teach::JsonReader& traffic, UserSpec& out)
{
    teach::JsonReader r =
        traffic.child("users",
                      {QStringLiteral("count"), QStringLiteral("cookies"), QStringLiteral("userHeader"),
                       QStringLiteral("ownAddresses"), QStringLiteral("pathTemplate"), QStringLiteral("arrival"),
                       QStringLiteral("burstSize"), QStringLiteral("thinkMs"), QStringLiteral("seed")});
    if (!r.has("count"))
        r.error(QStringLiteral("count"),
                QStringLiteral("is required: how many users, from 2 to %1").arg(UserSpec::kMaxUsers));
    // Two at least: one "user" is the plain client, which the traffic object without users already is.
    out.count = r.integer("count", 2, 2, UserSpec::kMaxUsers);
    out.cookies = r.boolean("cookies", out.cookies);
    out.ownAddresses = r.boolean("ownAddresses", out.ownAddresses);
    const QString header = r.string("userHeader", QString::fromLatin1(out.userHeader));
    if (!header.isEmpty() && !validHeaderName(header.toLatin1()))
        r.error(QStringLiteral("userHeader"),
                QStringLiteral("must be a header name of 1-64 letters, digits and - (or \"\": no header; got \"%1\")")
                    .arg(header));
    else
        out.userHeader = header.toLatin1();
    const QString path = r.string("pathTemplate", QString::fromUtf8(out.pathTemplate));
    PathTemplate t;
    QString why;
    if (!path.isEmpty() && !PathTemplate::parse(path.toUtf8(), &t, &why))
        r.error(QStringLiteral("pathTemplate"), why + QStringLiteral(" (e.g. \"/item/{1..100}\")"));
    else
        out.pathTemplate = path.toUtf8();
    const QStringList arrivals = {arrivalName(ArrivalProcess::Constant), arrivalName(ArrivalProcess::Poisson),
                                  arrivalName(ArrivalProcess::Bursts)};
    parseArrival(r.string("arrival", arrivalName(out.arrival), arrivals), &out.arrival);
    out.burstSize = r.integer("burstSize", out.burstSize, 1, UserSpec::kMaxBurst);
    out.thinkMs = r.integer("thinkMs", out.thinkMs, 0, UserSpec::kMaxThinkMs);
    out.seed = quint32(r.integer("seed", int(out.seed), 0, 2'147'483'647));
}

QJsonObject usersProfileToJson(const UserSpec& u)
{
    QJsonObject o{{QStringLiteral("count"), u.count},
                  {QStringLiteral("cookies"), u.cookies},
                  {QStringLiteral("userHeader"), QString::fromLatin1(u.userHeader)},
                  {QStringLiteral("ownAddresses"), u.ownAddresses},
                  {QStringLiteral("arrival"), arrivalName(u.arrival)},
                  {QStringLiteral("burstSize"), u.burstSize},
                  {QStringLiteral("thinkMs"), u.thinkMs},
                  {QStringLiteral("seed"), double(u.seed)}};
    if (!u.pathTemplate.isEmpty())
        o.insert(QStringLiteral("pathTemplate"), QString::fromUtf8(u.pathTemplate));
    return o;
}

void readMovedCheck(teach::JsonReader& expect,
                    const std::function<bool(teach::JsonReader&, const QString&)>& knownBackend, ScenarioCheck& out)
{
    teach::JsonReader r =
        expect.child("moved", {QStringLiteral("users"), QStringLiteral("from"), QStringLiteral("to")});
    out.kind = ScenarioCheck::Kind::Moved;
    out.path = expect.pathOf(QStringLiteral("moved"));
    out.range =
        r.has("users") ? r.fractionRange(QStringLiteral("users"), QStringLiteral("the users")) : ValueRange{0, 1.0};
    for (const char* key : {"from", "to"}) {
        if (!r.has(key))
            continue;
        const QString name = r.string(key, QString());
        if (!name.isEmpty() && knownBackend(r, QLatin1String(key)))
            (qstrcmp(key, "from") == 0 ? out.movedFrom : out.movedTo) = name;
    }
    if (!r.has("users") && !r.has("from") && !r.has("to"))
        r.error(QString(), QStringLiteral("give at least one of users ([min, max], a share of the users), from, to"));
}

CheckOutcome evaluateMoved(const ScenarioCheck& c, const WindowObservation& w)
{
    const KeyMoves m = compareUsers(w.usersBefore, w.usersAfter);
    if (m.compared == 0)
        return {
            false,
            w.usersBefore.isEmpty()
                ? QStringLiteral("no simulated user had an answer before the action (start traffic with users first)")
                : QStringLiteral("no user answered both before the action and in the window")};
    QStringList from;
    for (auto it = m.movedFrom.cbegin(); it != m.movedFrom.cend(); ++it)
        from << QStringLiteral("%1 from %2").arg(it.value()).arg(it.key());
    QString observed = QStringLiteral("%1 (%2 of %3 users moved%4)")
                           .arg(m.fraction(), 0, 'f', 2)
                           .arg(m.moved.size())
                           .arg(m.compared)
                           .arg(from.isEmpty() ? QString() : QStringLiteral(": ") + from.join(QStringLiteral(", ")));
    if (m.waiting > 0)
        observed += QStringLiteral("; %1 not answered since").arg(m.waiting);
    bool held = c.range.contains(m.fraction());
    if (!c.movedFrom.isEmpty()) {
        const QString name = w.labNames.value(c.movedFrom, c.movedFrom);
        const int others = m.movedNotFrom(name);
        const int stayed = m.usersBefore.value(name) - m.movedFrom.value(name);
        held = held && others == 0 && stayed == 0 && m.usersBefore.value(name) > 0;
        observed += QStringLiteral("; of %1's %2 users %3 stayed, %4 users of other backends moved")
                        .arg(name)
                        .arg(m.usersBefore.value(name))
                        .arg(stayed)
                        .arg(others);
    }
    if (!c.movedTo.isEmpty()) {
        const QString name = w.labNames.value(c.movedTo, c.movedTo);
        const int elsewhere = m.movedNotTo(name);
        held = held && elsewhere == 0;
        observed +=
            QStringLiteral("; %1 moved to %2, %3 elsewhere").arg(m.moved.size() - elsewhere).arg(name).arg(elsewhere);
    }
    return {held, observed};
}

} // namespace lab
