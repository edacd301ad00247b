extension ReportPage {
    /// The page's style sheet (system fonts only: nothing is fetched).
    static let style = """
        :root { color-scheme: light; --fg: #111827; --muted: #4b5563; --line: #d1d5db; --bg: #ffffff; --panel: #f3f4f6; }
        * { box-sizing: border-box; }
        body { margin: 0; padding: 16px 24px 40px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
        h1 { font-size: 22px; margin: 0 0 2px; }
        h2 { font-size: 16px; margin: 18px 0 6px; }
        code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
        .sub { color: var(--muted); margin: 0 0 12px; word-break: break-all; }
        .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 6px 18px; margin: 0; }
        .facts div { background: var(--panel); border-radius: 6px; padding: 6px 10px; }
        .facts dt { color: var(--muted); font-size: 12px; }
        .facts dd { margin: 0; font-weight: 600; }
        table { border-collapse: collapse; margin: 4px 0; }
        th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
        thead th { color: var(--muted); font-weight: 600; font-size: 12px; }
        td.close-code { font-weight: 600; }
        caption { text-align: left; font-weight: 600; padding: 6px 0 2px; }
        .counts { display: flex; flex-wrap: wrap; gap: 8px 32px; }
        .counts th { font-weight: 400; }
        .hint { color: #9a3412; }
        details summary { cursor: pointer; margin: 14px 0 4px; font-weight: 600; }
        .toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 6px 0; }
        .toolbar input[type=search] { flex: 1 1 320px; min-width: 200px; padding: 5px 8px; border: 1px solid #9ca3af; border-radius: 5px; font: inherit; }
        .toolbar button { font: inherit; padding: 4px 12px; border: 1px solid #9ca3af; background: #fff; border-radius: 5px; cursor: pointer; }
        .toolbar button:hover { background: var(--panel); }
        .toolbar .check { user-select: none; }
        #gt-status { color: var(--muted); margin-left: auto; }
        .help { color: var(--muted); font-size: 12.5px; margin: 2px 0 8px; }
        #gt-timeline { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
        #gt-canvas { display: block; width: 100%; cursor: grab; }
        #gt-canvas:focus-visible { outline: 3px solid #2563eb; outline-offset: -3px; }
        #gt-canvas.dragging { cursor: grabbing; }
        :focus-visible { outline: 3px solid #2563eb; outline-offset: 1px; }
        .legend { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12.5px; }
        .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
        #gt-detail-meta { font-weight: 600; }
        #gt-json { background: var(--panel); border-radius: 6px; padding: 10px 12px; max-height: 60vh; overflow: auto; white-space: pre-wrap; word-break: break-word; margin: 0; }
        #gt-json:empty { display: none; }
        """
}
