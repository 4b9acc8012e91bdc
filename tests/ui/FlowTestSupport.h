#pragma once

// What the flow view's test executables share: where grabs go and the layout's one rule.
#include "FlowScene.h"

#include <QDir>
#include <QString>

namespace lab::test {

inline QString outputPath(const QString& fileName)
{
    return qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath()) + QLatin1Char('/') + fileName;
}

// Empty when every node is inside the canvas and none overlaps another (the lane and the picks' text inside
// the proxy, each parking strip inside its card); else what is wrong.
inline QString layoutProblem(const FlowScene::Layout& l, QSizeF size)
{
    const QRectF canvas(QPointF(0, 0), size);
    QList<QRectF> boxes{l.header, l.client, l.proxy, l.legend};
    boxes += l.backends;
    const QStringList names{QStringLiteral("header"), QStringLiteral("client"), QStringLiteral("proxy"),
                            QStringLiteral("legend")};
    auto name = [&](int i) {
        return i < names.size() ? names[i] : QStringLiteral("backend %1").arg(i - names.size());
    };
    for (int i = 0; i < boxes.size(); ++i) {
        if (!canvas.contains(boxes[i]))
            return QStringLiteral("%1 is cut off").arg(name(i));
        for (int j = i + 1; j < boxes.size(); ++j) {
            if (boxes[i].intersects(boxes[j]))
                return QStringLiteral("%1 and %2 overlap").arg(name(i), name(j));
        }
    }
    if (!l.proxy.contains(l.proxyLane) || !l.proxy.contains(l.proxyText) || l.proxyLane.intersects(l.proxyText))
        return QStringLiteral("the proxy's lane or text is out of place");
    for (int i = 0; i < l.backends.size(); ++i) {
        if (!l.backends[i].contains(l.parking.value(i)))
            return QStringLiteral("backend %1's parking strip is outside it").arg(i);
    }
    return {};
}

} // namespace lab::test
