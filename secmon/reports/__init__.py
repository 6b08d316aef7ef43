"""Reports: the incident notification, Form 03 and Form 04 per incident, and
period summaries for management, in Vietnamese or English, as Markdown or
printable HTML. Legal details (recipients, deadlines, form layouts) come
from a reporting regime YAML file, never from code.

    regime = load_regime(settings.reporting.regime)        # regime_loader
    facts = gather_incident(store, 12, playbooks, settings.systems,
                            regime.step_deadlines())       # facts
    report = build_incident_report(facts, regime, "initial", settings,
                                   lang="vi", tz=tz, now=clock.now())   # data
    html = render_incident_report(report, "html")          # render
"""
