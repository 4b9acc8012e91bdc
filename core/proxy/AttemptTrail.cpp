#include "AttemptTrail.h"

namespace lab {

void AttemptTrail::clear()
{
    m_tried.clear();
    m_chain.clear();
    m_why.clear();
    m_count = 0;
}

int AttemptTrail::begin(int backendId)
{
    m_tried.append(backendId);
    return ++m_count;
}

void AttemptTrail::retract(int backendId)
{
    m_tried.removeOne(backendId);
    --m_count;
}

void AttemptTrail::add(const QString& backendName, const QString& outcome)
{
    if (!m_chain.isEmpty())
        m_chain += QStringLiteral(" → ");
    m_chain += backendName + QStringLiteral(": ") + outcome;
}

void AttemptTrail::note(const QString& text)
{
    if (!m_chain.isEmpty())
        m_chain += QStringLiteral(" → ");
    m_chain += text;
}

void AttemptTrail::explain(const QString& why)
{
    if (!m_why.isEmpty())
        m_why += QStringLiteral("; ");
    m_why += why;
}

} // namespace lab
