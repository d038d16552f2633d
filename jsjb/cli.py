"""The `jsjb` command line (CONTRACT §3): the office's jobs on files, for WPS users,
scheduled runs and tests. Thin: parse options → a job of ``jsjb.jobs`` → print → exit code.

Exit codes: 0 ok · 1 the job ran but something needs attention (rows with errors, mail not sent)
· 2 bad input (file, option, setting, 参数, missing holiday year) · 3 unexpected failure (one Chinese
line; the traceback only with JSJB_DEBUG=1).
stdout carries the result (with --json: only the JSON); progress and messages go to stderr.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from . import __version__, jobs
from .core import clock
from .core import schema as S
from .core.errors import InvalidValue, LedgerError
from .core.schema import PLAIN_SPARE_ROWS
from .jobs.errors import describe
from .web import DEFAULT_HOST, DEFAULT_PORT  # plain constants: the web stack itself loads only for serve

_ARGPARSE_ZH = {
    "usage: ": "用法：", "options": "选项", "positional arguments": "参数",
    "show this help message and exit": "显示本帮助并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "expected one argument": "需要一个值",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "expected at least one argument": "至少需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "ignored explicit argument %r": "多余的值 %r",
    "not allowed with argument %s": "不能与 %s 同时使用",
    "one of the arguments %s is required": "需要以下参数之一：%s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "没有命令 %(parser_name)r（可用：%(choices)s）",
    "unexpected option string: %s": "无法识别的选项：%s",
}


def _zh(text: str) -> str:
    return _ARGPARSE_ZH.get(text, text)


argparse._ = _zh   # argparse looks its few fixed strings up through this name


def _as_of(text: str | None):
    return clock.parse_moment(text, "--as-of")


def _progress(args) -> jobs.Progress:
    if getattr(args, "quiet", False):
        return jobs.quiet
    return lambda msg: print(msg, file=sys.stderr, flush=True)


def _emit_json(data) -> None:
    """The result as compact UTF-8 JSON on stdout, through orjson (100,000 tickets: 0.035 s against
    0.14 s with the standard library, whose text is the same)."""
    import orjson

    raw = orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE)
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(raw.decode("utf-8"))
    else:                       # UTF-8 bytes as they are (stdout is reconfigured to UTF-8 in main)
        sys.stdout.flush()
        buffer.write(raw)
        buffer.flush()


def _notes(result: jobs.JobResult) -> None:
    for note in result.notes:
        print(f"提示：{note}", file=sys.stderr)


def _table(rows: list[list[str]], headers: list[str]) -> str:
    def width(s: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    cols = list(zip(headers, *rows)) if rows else [(h,) for h in headers]
    widths = [max(width(str(x)) for x in col) for col in cols]
    lines = []
    for r in [headers, *rows]:
        lines.append("  ".join(str(x) + " " * (w - width(str(x))) for x, w in zip(r, widths)).rstrip())
        if r is headers:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _finish(args, result: jobs.JobResult, text) -> int:
    """Print the result (JSON, or the text lines ``text()`` yields) and its notes; return the exit code."""
    _notes(result)
    if getattr(args, "json", False):
        _emit_json(result.data)
    else:
        for line in text():
            print(line)
    return result.exit_code


# -- commands ----------------------------------------------------------------------------------
def cmd_template(args) -> int:
    r = jobs.template(args.path, force=args.force, plain=args.plain, source=args.source, spare=args.spare,
                      progress=_progress(args))
    kind = "可在任何电子表格软件中计算的台账（原生公式）" if args.plain else "空白台账模板"
    extra = f"，已从 {args.source} 复制工单和其他工作表（原台账未改动）" if r.data["from"] else ""
    if args.plain:
        extra += f"；表格内预留 {r.data['spare']:,} 行空白行，新工单填入即自动计算"
    _notes(r)
    print(f"已生成{kind}：{args.path}{extra}")
    return 0


def cmd_sample(args) -> int:
    r = jobs.sample(args.path, rows=args.rows, year=args.year, seed=args.seed, force=args.force,
                    export=args.export, export_rows=args.export_rows, progress=_progress(args))
    as_of = r.data["as_of"][:16]
    if args.path:
        print(f"已生成样例台账：{args.path}（{args.rows} 张工单，数据截至 {as_of.replace('T', ' ')}，"
              f"可用 --as-of {as_of} 重现统计）")
    if args.export:
        e = r.data["export"]
        print(f"已生成样例导出文件：{args.export}（接诉即办系统的列名和格式，{e['rows']} 行，对应同一种子的样例台账；"
              f"含新工单 {e['new']} 张、不一致 {e['changed']} 处、缺少 {e['missing']} 张，可用 jsjb intake 试导入）")
    return 0


def cmd_intake(args) -> int:
    r = jobs.intake(args.export, args.ledger, out=args.out, force=args.force, progress=_progress(args))

    def text():
        d = r.data
        yield from jobs.intake_summary(r.detail)
        if d["unmapped"]:
            yield f"未导入的列（台账中没有对应的列）：{'、'.join(d['unmapped'])}"
        renamed = [f"{h}→{c}" for h, c in d["mapping"].items() if h != c]
        if renamed:
            yield f"列名对应：{'、'.join(renamed)}"
        report = r.tables[jobs.INTAKE_REPORT]
        shown = report.head(args.limit)
        if len(shown):
            yield ""
            yield _table([["" if v is None else str(v) for v in row] for row in shown.itertuples(index=False)],
                         list(report.columns))
        if len(report) > args.limit:
            yield f"……另有 {len(report) - args.limit} 条未显示（用 --limit、--out 或 --json 查看全部）"
        if args.out:
            yield (f"\n已写入：{args.out}（“{S.SHEET_TICKETS}”表为可直接粘贴到台账的新工单，"
                   f"“核对结果”表列出每一处差异；台账未改动）")
    return _finish(args, r, text)


def cmd_check(args) -> int:
    r = jobs.check(args.ledger, as_of=_as_of(args.as_of), progress=_progress(args))

    def text():
        errors, warnings = r.data["errors"], r.data["warnings"]
        yield f"共 {r.data['rows']} 张工单：错误 {len(errors)} 条，提示 {len(warnings)} 条。"
        issues = {"错误": r.evaluated.errors, "提示": r.evaluated.warnings}
        for label, items in issues.items():
            for i in items[:args.limit]:
                yield f"[{label}] {i.text()}"
            if len(items) > args.limit:
                yield f"……另有 {len(items) - args.limit} 条{label}未显示（用 --limit 或 --json 查看全部）"
        if not errors:
            yield "校验通过：没有错误。"
    return _finish(args, r, text)


def cmd_compute(args) -> int:
    r = jobs.compute(args.ledger, as_of=_as_of(args.as_of), out=args.out, mask=args.mask, force=args.force,
                     table=False, progress=_progress(args))

    def text():
        ev = r.evaluated
        yield f"统计时点 {ev.as_of:%Y-%m-%d %H:%M}，共 {len(ev.tickets)} 张工单。"
        yield _table([[k, str(v)] for k, v in jobs.status_counts(ev).items()], ["状态", "工单数"])
        flags = jobs.flag_counts(ev)
        if flags:
            yield ""
            yield _table([[k, str(v)] for k, v in flags.items()], ["提示", "工单数"])
        if args.out:
            yield f"\n计算结果已写入：{args.out}"
    code = _finish(args, r, text)
    return code


def _ranking_rows(data: dict) -> list[list[str]]:
    def pct(v):
        return "无数据" if v is None else f"{v:.2%}"

    rows = []
    for e in data["enterprises"]:
        rows.append([str(e["rank"]) if e["rank"] is not None else "-", e["enterprise"], str(e["received"]),
                     pct(e["response_rate"]), pct(e["resolution_rate"]), pct(e["satisfaction_rate"]),
                     f"{e['deductions']:g}", f"{e['bonuses']:g}",
                     f"{e['total']:.2f}" if e["rank"] is not None else (e.get("note") or "")])
    return rows


RANK_HEADERS = ["排名", "承办企业", "受理", "响应率", "解决率", "满意率", "扣分", "加分", "总分"]


def _report_command(args, job, period, heading, file_lines) -> int:
    """月通报 and 年度考核: the ranking table, the files, the 公文 draft when asked (--template implies --docx)."""
    r = job(args.ledger, period, as_of=_as_of(args.as_of), out_dir=args.out, docx=args.docx or bool(args.template),
            pdf=args.pdf, template=args.template, only_period=True, progress=_progress(args))

    def text():
        rep = r.detail
        yield f"{heading(rep.period.title)}（统计时点 {rep.as_of:%Y-%m-%d %H:%M}）"
        yield _table(_ranking_rows(r.data), RANK_HEADERS)
        files = r.data["files"]
        yield ""
        yield from file_lines(files)
        for key, label in (("docx", "公文稿（Word）"), ("pdf", "公文稿（PDF）")):
            if key in files:
                yield f"{label}：{files[key]}"
    return _finish(args, r, text)


def cmd_bulletin(args) -> int:
    return _report_command(args, jobs.bulletin, args.month, lambda title: f"{title}月通报", lambda files: [
        f"月通报：{files['bulletin']}",
        f"各企业工作簿（{len(files['enterprises'])} 个，来话人已脱敏）：{Path(files['bulletin']).parent}"])


def cmd_assess(args) -> int:
    return _report_command(args, jobs.assess, args.year, lambda title: f"{title}“接诉即办”考核",
                           lambda files: [f"年度考核：{files['assessment']}"])


def cmd_dispatch(args) -> int:
    r = jobs.dispatch(args.ledger, as_of=_as_of(args.as_of), out_dir=args.out, progress=_progress(args))

    def text():
        dl = r.detail
        yield f"日调度（{dl.as_of:%Y-%m-%d %H:%M}）：需督办 {len(dl.items)} 件"
        counts = r.tables["汇总"]
        yield _table([[str(v) for v in row] for row in counts.itertuples(index=False)], list(counts.columns))
        files = r.data["files"]
        yield f"\n日调度：{files['office']}"
        yield f"各企业督办清单（{len(files['enterprises'])} 个，来话人已脱敏）：{Path(files['office']).parent}"
    return _finish(args, r, text)


def cmd_archive(args) -> int:
    r = jobs.archive(args.ledger, as_of=_as_of(args.as_of), out=args.out, progress=_progress(args))

    def text():
        d = r.data
        yield f"已归档 {d['archived']} 件已办结工单（本次新编号 {d['new']} 件），年度台账：{'、'.join(d['years'])}"
        yield f"归档文件：{d['file']}"
    return _finish(args, r, text)


def cmd_mail(args) -> int:
    import getpass

    host, port = None, None
    if args.smtp:
        host, _, port = args.smtp.rpartition(":")
        if not host or not port:
            raise InvalidValue("--smtp", args.smtp, "应为 主机:端口，如 smtp.example.invalid:587")
    settings = jobs.mail_settings(host=host, port=port, security=args.security, user=args.user,
                                        sender=args.sender, cafile=args.cafile)
    if not args.dry_run and settings.user and settings.password is None:
        if not sys.stdin or not sys.stdin.isatty():
            raise InvalidValue("密码", "", "请通过环境变量 JSJB_SMTP_PASSWORD 提供邮箱密码")
        settings.password = getpass.getpass(f"{settings.user} 的邮箱密码：")
    r = jobs.mail(args.dir, args.ledger, month_label=args.month, settings=settings, dry_run=args.dry_run,
                  resend=args.resend, progress=_progress(args))

    def text():
        rep = r.detail
        verb = "已生成待发送邮件" if args.dry_run else "已发送"
        for s in rep.sent:
            yield f"{verb}：{s['enterprise']} <{s['address']}>  {s.get('eml') or s['file']}"
        for f in rep.failed:
            yield f"失败：{f['enterprise']} <{f['address']}>：{f['reason']}"
        for k in rep.skipped:
            yield f"未发送：{k['enterprise']}：{k['reason']}"
        yield f"合计：{verb} {len(rep.sent)}，失败 {len(rep.failed)}，未发送 {len(rep.skipped)}。"
    return _finish(args, r, text)


def cmd_holidays(args) -> int:
    if args.target and args.target[0] == "parse":
        if len(args.target) != 2:
            raise InvalidValue("holidays parse", " ".join(args.target[1:]),
                               "用法：jsjb holidays parse 通知.txt（或 - 表示标准输入）")
        return _holidays_parse(args, args.target[1])
    if len(args.target) > 1:
        raise InvalidValue("LEDGER", " ".join(args.target), "只能给一个台账")
    if args.out or args.force:
        raise InvalidValue("--out", args.out or "--force", "只能用于 jsjb holidays parse")
    r = jobs.holidays(args.target[0] if args.target else None, as_of=_as_of(args.as_of), progress=_progress(args))

    def text():
        d = r.data
        first, last = d["builtin"] or (None, None)
        yield f"内置节假日数据：{first}–{last} 年" if first else "内置节假日数据：无"
        yield f"“节假日”表补充的年份：{'、'.join(map(str, d['sheet'])) or '无'}"
        yield f"已覆盖到：{d['covered_until'] or '（统计时点所在年份未覆盖）'}"
        if d["missing"]:
            yield f"缺少的年份：{'、'.join(map(str, d['missing']))}"
            if d["affected"]:
                shown = "、".join(d["affected"][:20]) + ("…" if len(d["affected"]) > 20 else "")
                yield f"受影响的在办工单（{len(d['affected'])} 张）：{shown}"
        for w in d["warnings"]:
            yield f"提示：{w}"
        if not d["missing"]:
            yield "节假日数据完整：没有缺少的年份。"
    return _finish(args, r, text)


def _holidays_parse(args, notice_path) -> int:
    r = jobs.notice(notice_path, out=args.out, force=args.force, progress=_progress(args))

    def text():
        rows = r.data["rows"]
        rest = sum(1 for x in rows if x["type"] == "休息日")
        yield f"{r.data['year']}年放假调休安排：休息日 {rest} 天，调休上班 {len(rows) - rest} 天。"
        yield _table([[x["date"], x["type"], x["note"]] for x in rows], ["日期", "类型", "说明"])
        if args.out:
            yield f"\n已写入：{args.out}（把其中“节假日”表的各行复制到台账的“节假日”表末尾即可）"
    return _finish(args, r, text)


def cmd_serve(args) -> int:
    from .web import serve

    return serve(args.ledger, args.host, args.port, open_browser=not args.no_browser)


def cmd_doctor(args) -> int:
    from . import doctor

    checks = doctor.run(_progress(args))
    data = doctor.as_json(checks)
    if args.json:
        _emit_json(data)
    else:
        print(doctor.report(checks))
    return 0 if data["ok"] else 1


def _command_name() -> str:
    """How the user can run this program again, as a copy-pasteable word: ``jsjb`` when that is on
    PATH and is this program, else the path of this program (e.g. .venv/bin/jsjb after make demo)."""
    me = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    found = shutil.which("jsjb")
    if me is None or me.name not in ("jsjb", "jsjb.exe"):
        return "jsjb" if found else f"{Path(sys.executable).name} -m jsjb"
    if found and Path(found).resolve() == me.resolve():
        return "jsjb"
    try:
        return os.path.relpath(me)
    except ValueError:
        return str(me)


def cmd_demo(args) -> int:
    progress = _progress(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ledger_path = out / "样例台账.xlsx"
    export = out / "系统导出样例.xlsx"
    made = jobs.sample(ledger_path, rows=args.rows, force=True, export=export, progress=progress)
    as_of = made.data["as_of"][:16]
    r = jobs.bulletin(ledger_path, None, as_of=as_of, out_dir=out / "月通报", progress=progress)
    rep = r.detail
    me = _command_name()
    print(f"样例台账：{ledger_path}（{args.rows} 张工单，数据截至 {as_of.replace('T', ' ')}）")
    print(f"\n{rep.period.title}月通报（统计时点 {rep.as_of:%Y-%m-%d %H:%M}）")
    print(_table(_ranking_rows(r.data), RANK_HEADERS))
    print(f"\n月通报：{r.data['files']['bulletin']}")
    print(f"各企业工作簿（{len(r.data['files']['enterprises'])} 个，来话人已脱敏）：{out / '月通报'}")
    print("\n再试试（可直接复制运行）：")
    print(f"  {me} check {ledger_path} --as-of {as_of}")
    print(f"  {me} assess {ledger_path} --year {rep.period.start.year} --as-of {as_of}")
    print(f"  {me} dispatch {ledger_path} --as-of {as_of}")
    print(f"  {me} intake {export} --ledger {ledger_path} --out {out / '导入核对.xlsx'} --force"
          "   # 导入工单：与接诉即办系统的导出文件核对")
    return 0


# -- parser ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jsjb", add_help=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="接诉即办工单台账工具：按《“接诉即办”暂行规定》计算办理期限、状态、三率和考核得分，\n"
                    "生成日调度、月通报、年度考核和归档工作簿。所有命令只读取台账，从不修改台账。",
        epilog="示例：jsjb demo ｜ jsjb check 台账.xlsx ｜ jsjb compute 台账.xlsx --out 结果.xlsx",
    )
    p.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    p.add_argument("--version", action="version", version=f"jsjb {__version__}", help="显示版本号并退出")
    sub = p.add_subparsers(dest="command", metavar="<命令>", title="可用命令（jsjb <命令> --help 查看详细说明）")

    def command(name, help_text, func):
        c = sub.add_parser(name, help=help_text, description=help_text, add_help=False)
        c.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
        c.add_argument("-q", "--quiet", action="store_true", help="不显示进度信息")
        c.set_defaults(func=func)
        return c

    def ledger_arg(c):
        c.add_argument("ledger", metavar="LEDGER", help="台账工作簿（.xlsx），只读")

    def as_of_arg(c):
        c.add_argument("--as-of", metavar="T", help="统计时点，ISO 日期时间，如 2025-12-31T17:00（默认：现在）")

    def json_arg(c):
        c.add_argument("--json", action="store_true", help="以 JSON 输出结果（标准输出只含 JSON）")

    def out_dir_arg(c):
        c.add_argument("--out", metavar="DIR", help="输出文件夹（默认：台账所在文件夹下的“jsjb输出”）")

    def docx_args(c):
        c.add_argument("--docx", action="store_true", help="同时生成公文稿（Word，GB/T 9704 版式），供修改后报审")
        c.add_argument("--pdf", action="store_true", help="同时把公文稿转为 PDF（需要 LibreOffice）")
        c.add_argument("--template", metavar="DOCX", help="使用本单位自己的公文模板（.docx，隐含 --docx），默认用内置模板")

    c = command("template", "生成空白台账模板（与 workbook/ledger_template.xlsx 相同）；--plain 生成在 WPS、"
                            "LibreOffice 中也能计算的台账", cmd_template)
    c.add_argument("path", metavar="PATH", help="输出文件（.xlsx）；已存在时不覆盖，除非加 --force")
    c.add_argument("--force", action="store_true", help="输出文件已存在时覆盖它（慎用：会替换原文件）")
    c.add_argument("--plain", action="store_true",
                   help="计算列用原生公式（WPS、LibreOffice、未装加载项的 Excel 都能计算），含“日历”表")
    c.add_argument("--from", dest="source", metavar="LEDGER",
                   help="把已有台账的工单和其他工作表复制进去（原台账只读）；列名不同的（如工单号、下派时间、承办单位）"
                        "按内置的同义列名和原台账的“列名对照”表对应，无法对应的列会列出")
    c.add_argument("--spare", type=_count, metavar="N",
                   help=f"与 --plain 一起用：在最后一张工单下方预留的空白行数（默认 {PLAIN_SPARE_ROWS}），"
                        "这些行已带公式、下拉选项和底色，新工单填入即自动计算")

    c = command("sample", "生成虚构的样例台账（人员和企业均为虚构），同一种子结果相同；--export 另生成接诉即办系统"
                          "样式的导出文件（供 jsjb intake 试用）", cmd_sample)
    c.add_argument("path", nargs="?", metavar="PATH", help="输出文件（.xlsx）；已存在时不覆盖，除非加 --force")
    c.add_argument("--export", metavar="PATH", help="同时（或只）生成接诉即办系统样式的导出文件（.xlsx 或 .csv），"
                                                    "内容对应同一种子的样例台账")
    c.add_argument("--export-rows", type=_positive, metavar="N", help="导出文件包含样例台账最后 N 张工单（默认 300）")
    c.add_argument("--rows", type=_positive, default=2000, metavar="N", help="工单数（默认 2000，最多 1000000）")
    c.add_argument("--year", type=_year, default=2025, metavar="YYYY", help="派单年份（默认 2025）")
    c.add_argument("--seed", type=int, default=12345, metavar="S", help="随机种子（默认 12345）")
    c.add_argument("--force", action="store_true", help="输出文件已存在时覆盖它（慎用：会替换原文件）")

    c = command("intake", "导入工单：把接诉即办系统导出的工单文件与台账逐张核对——新工单、逐项不一致、台账有而导出中没有的、"
                          "重复和无效的行；--out 写出可直接粘贴到台账的新工单和核对结果（台账不会被修改）。\n"
                          "退出码：0 无需处理，1 有新工单或差异，2 输入有误", cmd_intake)
    c.add_argument("export", metavar="EXPORT", help="接诉即办系统导出的文件（.xlsx、.xls 或 .csv，UTF-8 或 GBK 编码）")
    c.add_argument("--ledger", required=True, metavar="LEDGER",
                   help="台账工作簿（.xlsx），只读；其中的“列名对照”表（系统列名、台账列名）补充或改写内置的列名对应")
    c.add_argument("--out", metavar="PATH",
                   help="写出工作簿（.xlsx）：“工单台账”表为按台账列顺序排列的新工单，“核对结果”表列出每一处差异")
    c.add_argument("--force", action="store_true", help="--out 指定的文件已存在时覆盖它（慎用）")
    c.add_argument("--limit", type=_positive, default=30, metavar="N", help="最多显示的核对结果条数（默认 30）")
    json_arg(c)

    c = command("check", "校验台账：逐行列出错误和提示；有错误时退出码为 1", cmd_check)
    ledger_arg(c)
    as_of_arg(c)
    json_arg(c)
    c.add_argument("--limit", type=_positive, default=50, metavar="N", help="每类最多显示的条数（默认 50）")

    c = command("compute", "计算每张工单的办理期限、材料截止、确认时限、状态、是否及时和提示", cmd_compute)
    ledger_arg(c)
    as_of_arg(c)
    json_arg(c)
    c.add_argument("--out", metavar="PATH", help="另存为新的工作簿（仅数值：台账数据加计算列），不修改台账")
    c.add_argument("--mask", action="store_true", help="输出时对来话人、电话脱敏，去掉地址，遮盖诉求内容中的个人信息（第20条）")
    c.add_argument("--force", action="store_true", help="--out 指定的文件已存在且不是计算结果时，仍然覆盖它（慎用）")

    c = command("bulletin", "月通报：各企业三率、得分、扣加分和排名，专项清单，每个企业一个工作簿", cmd_bulletin)
    ledger_arg(c)
    c.add_argument("--month", metavar="YYYY-MM", help="通报月份，如 2025-12（按派单时间统计；默认：上一个完整月份）")
    as_of_arg(c)
    out_dir_arg(c)
    json_arg(c)
    docx_args(c)

    c = command("assess", "年度考核：100分制考核表（含考核录入的人工评分、三率得分、扣加分）", cmd_assess)
    ledger_arg(c)
    c.add_argument("--year", type=_year, metavar="YYYY", help="考核年度，如 2025（默认：上一个完整年度）")
    as_of_arg(c)
    out_dir_arg(c)
    json_arg(c)
    docx_args(c)

    c = command("dispatch", "日调度：需督办的工单（超期、未确认归属、临期、材料逾期、材料将到期、延期申请将截止、挂单），"
                            "按企业分组", cmd_dispatch)
    ledger_arg(c)
    as_of_arg(c)
    out_dir_arg(c)
    json_arg(c)

    c = command("archive", "归档：已办结工单编归档号（同一工单编号不变，重复运行不会重复编号），含材料清单和年度台账",
                cmd_archive)
    ledger_arg(c)
    as_of_arg(c)
    c.add_argument("--out", metavar="PATH",
                   help="归档工作簿（默认：台账所在文件夹下的 jsjb输出/归档.xlsx；已有则沿用其中的编号，不是归档文件则拒绝覆盖）")
    json_arg(c)

    c = command("mail", "发送通报：把通报文件夹中各企业的工作簿发送到“承办企业”表中的邮箱（每家只发自己的，已发送的不重发）",
                cmd_mail)
    c.add_argument("dir", metavar="DIR", help="月通报输出文件夹（jsjb bulletin 的 --out）")
    c.add_argument("--ledger", required=True, metavar="LEDGER", help="台账工作簿（读取“承办企业”表中的邮箱），只读")
    c.add_argument("--month", metavar="YYYY-MM", help="要发送的月份（文件夹中只有一个月份时可省略）")
    c.add_argument("--smtp", metavar="HOST:PORT", help="邮件服务器（默认取环境变量 JSJB_SMTP_HOST/JSJB_SMTP_PORT）")
    c.add_argument("--security", choices=("starttls", "ssl", "none"), help="加密方式（默认取 JSJB_SMTP_SECURITY，否则 none）")
    c.add_argument("--user", metavar="USER", help="登录用户名（默认取 JSJB_SMTP_USER）；密码取 JSJB_SMTP_PASSWORD 或提示输入")
    c.add_argument("--from", dest="sender", metavar="ADDR", help="发件人地址（默认取 JSJB_SMTP_FROM 或用户名）")
    c.add_argument("--cafile", metavar="PEM", help="额外信任的 CA 证书（单位内部邮件服务器用，默认取 JSJB_SMTP_CAFILE）")
    c.add_argument("--dry-run", action="store_true", help="不发送，只列出将发送的邮件并保存为 .eml 文件")
    c.add_argument("--resend", action="store_true", help="重新发送本月已发送过的通报（默认只发送尚未发送的）")
    json_arg(c)

    c = command("holidays", "节假日数据（R23）：查看内置数据和“节假日”表覆盖哪些年份、缺哪一年、哪些在办工单受影响；\n"
                            "jsjb holidays parse 通知.txt：把国务院办公厅的放假通知全文转成“节假日”表的行", cmd_holidays)
    c.add_argument("target", nargs="*", metavar="LEDGER | parse NOTICE",
                   help="台账工作簿（可省略，只看内置数据）；或 parse 加通知文本文件（- 表示标准输入）")
    as_of_arg(c)
    json_arg(c)
    c.add_argument("--out", metavar="PATH", help="与 parse 一起用：把结果写成工作簿（“节假日”表：日期、类型、说明）")
    c.add_argument("--force", action="store_true", help="与 --out 一起用：输出文件已存在时覆盖它")

    c = command("serve", "浏览器版：在本机打开网页，台账、校验、刷新、日调度、月通报、年度考核、归档、发送通报都在网页上操作"
                         "（WPS、信创电脑、没有 Excel 的同事使用）", cmd_serve)
    c.add_argument("ledger", nargs="?", metavar="LEDGER", help="台账工作簿（.xlsx，只读；也可以在网页上选择）")
    c.add_argument("--host", default=DEFAULT_HOST, metavar="H",
                   help="监听地址（默认 127.0.0.1，仅本机可访问；其他地址须先设置环境变量 JSJB_WEB_PASSWORD）")
    c.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="P", help=f"端口（默认 {DEFAULT_PORT}）")
    c.add_argument("--no-browser", action="store_true", help="不自动打开浏览器（也可设置环境变量 BROWSER=none）")

    c = command("doctor", "安装自检：Python、依赖包、xlwings 与加载项版本、加载项是否安装、Excel（不是 WPS）、"
                          "模板和按钮、节假日数据、字体；每项给出修复方法", cmd_doctor)
    json_arg(c)

    c = command("demo", "演示：生成样例台账，运行最近一个完整月份的月通报，显示排名和文件位置", cmd_demo)
    c.add_argument("--out", default="out/demo", metavar="DIR", help="输出文件夹（默认 out/demo）")
    c.add_argument("--rows", type=_positive, default=3000, metavar="N", help="样例工单数（默认 3000）")
    return p


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是整数") from None
    if not 1 <= v <= 1_000_000:
        raise argparse.ArgumentTypeError(f"“{text}”应在 1 到 1000000 之间")
    return v


def _count(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是整数") from None
    if not 0 <= v <= 1_000_000:
        raise argparse.ArgumentTypeError(f"“{text}”应在 0 到 1000000 之间")
    return v


def _year(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是年份") from None
    if not clock.FIRST_YEAR <= v <= clock.LAST_YEAR:
        raise argparse.ArgumentTypeError(f"年份“{text}”超出范围（{clock.FIRST_YEAR}–{clock.LAST_YEAR}）")
    return v


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, ValueError):
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - every failure: one Chinese line and its exit code
        if os.environ.get("JSJB_DEBUG") and not isinstance(e, LedgerError):
            raise
        message, code = describe(e)
        print(f"错误：{message}", file=sys.stderr)
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
