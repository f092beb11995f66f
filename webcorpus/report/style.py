"""The stylesheet of every page the report writes (the run's report.html and an ablation's page)."""

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:0 0 6px}h4{font-size:14px;margin:14px 0 0}
.sub{color:#5b6570;margin:0 0 18px;font-size:14px}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:18px 20px;margin:18px 0}
.caption{color:#4a545e;font-size:14px;margin:2px 0 12px;max-width:860px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px;margin:8px 0 6px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:12px 14px}
.card .value{font-size:26px;font-weight:600;color:#1f3f6e}.card .label{font-size:14px;font-weight:600}
.card .note{font-size:12px;color:#5b6570;margin-top:2px}
table{border-collapse:collapse;font-size:13px;margin:8px 0;min-width:55%}
#funnel-table,#token-shards,#errors-table,#largest-clusters,#failed-tasks{width:100%}
th,td{border-bottom:1px solid #e6e9ed;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f3f6;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.absent-note{color:#6b5200;background:#fff6d6;border:1px solid #f0dc9a;border-radius:6px;padding:8px 12px;margin:6px 0}
.legend{font-size:13px;margin:4px 0}.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin:0 5px 0 14px;vertical-align:-1px}
.legend .swatch:first-child{margin-left:0}
pre{background:#f1f3f6;border-radius:6px;padding:10px 12px;font-size:12px;overflow:auto;max-height:640px}
.url{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
svg{display:block;margin:6px 0;max-width:100%;height:auto}svg text{fill:#1d2329}
.signals{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:4px 18px}
.ok{color:#2d6a3e}.bad{color:#a8322d}
"""
