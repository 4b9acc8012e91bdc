#pragma once

#include "config/LabConfig.h"

#include <QtGlobal>
#include <span>
#include <variant>

namespace lab::schema {

// The values a numeric key may take, both ends included.
struct Range {
    qint64 min = 0;
    qint64 max = 0;
    bool contains(qint64 value) const { return value >= min && value <= max; }
};

// One key of one config section: its JSON name, the member it fills, and what it allows. The default is
// the member's initializer in the section's struct (a default-constructed section is the default section).
// A key without a member (std::monostate: a nested object, an enum, a name derived from others) is still
// listed, so the allowed keys are this table, but the section's own code reads and writes it.
template <typename Section> struct Key {
    using Member = std::variant<std::monostate, bool Section::*, int Section::*, qint64 Section::*, double Section::*,
                                QString Section::*, QStringList Section::*>;
    const char* name = nullptr;
    Member member;
    Range range; // numbers: the allowed values
    QStringList (*allowed)() = nullptr; // strings and string lists: when set, the only values allowed
    // Strings and each item of a string list: what is wrong with a value (the error's text after the JSON
    // path), or empty when it is fine.
    QString (*problem)(const QString& value) = nullptr;
    bool readByHand = false; // has a member, but its section's code reads it (its range depends on another key)
};

// The keys of each section, in the order a reader meets them in docs/config.md.
template <typename Section> std::span<const Key<Section>> keysOf();
template <> std::span<const Key<LabConfig>> keysOf<LabConfig>();
template <> std::span<const Key<ListenerConfig>> keysOf<ListenerConfig>();
template <> std::span<const Key<BackendConfig>> keysOf<BackendConfig>();
template <> std::span<const Key<FaultProfile>> keysOf<FaultProfile>();
template <> std::span<const Key<HealthConfig>> keysOf<HealthConfig>();
template <> std::span<const Key<OutlierConfig>> keysOf<OutlierConfig>();
template <> std::span<const Key<BreakerConfig>> keysOf<BreakerConfig>();
template <> std::span<const Key<RetryConfig>> keysOf<RetryConfig>();
template <> std::span<const Key<LimitsConfig>> keysOf<LimitsConfig>();
template <> std::span<const Key<TimeoutsConfig>> keysOf<TimeoutsConfig>();
template <> std::span<const Key<ProxyConfig>> keysOf<ProxyConfig>();
template <> std::span<const Key<StickyConfig>> keysOf<StickyConfig>();
template <> std::span<const Key<TrafficConfig>> keysOf<TrafficConfig>();
template <> std::span<const Key<RateLimitConfig>> keysOf<RateLimitConfig>();
template <> std::span<const Key<AdminConfig>> keysOf<AdminConfig>();

template <typename Section> QStringList keyNames()
{
    QStringList names;
    for (const Key<Section>& k : keysOf<Section>())
        names << QLatin1String(k.name);
    return names;
}

// The schema's key for a member, e.g. keyOf(&BackendConfig::weight). A member the schema does not list is
// a programming error (asserted); the answer is then a key without range.
template <typename Section, typename T> const Key<Section>& keyOf(T Section::*member)
{
    for (const Key<Section>& k : keysOf<Section>()) {
        if (const auto* m = std::get_if<T Section::*>(&k.member); m && *m == member)
            return k;
    }
    Q_ASSERT_X(false, "schema::keyOf", "a member the config schema does not list");
    static const Key<Section> none;
    return none;
}

// The schema's key with this JSON name (for a key without a member, such as "version").
template <typename Section> const Key<Section>& keyNamed(const char* name)
{
    for (const Key<Section>& k : keysOf<Section>()) {
        if (qstrcmp(k.name, name) == 0)
            return k;
    }
    Q_ASSERT_X(false, "schema::keyNamed", "a key the config schema does not list");
    static const Key<Section> none;
    return none;
}

// What the CLI and the window allow for a setting: the config's range, e.g. rangeOf(&BackendConfig::weight).
template <typename Section, typename T> Range rangeOf(T Section::*member)
{
    return keyOf(member).range;
}

} // namespace lab::schema
