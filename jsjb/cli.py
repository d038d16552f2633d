"""The `jsjb` command line (CONTRACT §3): the office's jobs on files, for WPS users,
scheduled runs and tests. Thin: parse options, call ``jsjb.jobs``, print, exit.

Exit codes: 0 ok · 1 the ledger has row errors (check) · 2 bad input (file, option, 参数,
missing holiday year) · 3 unexpected failure.
stdout carries the result (with --json: only the JSON); progress and messages go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from . import __version__, jobs
from .core.errors import InvalidValue, LedgerError
from .core.timeconv import iso

_ARGPARSE_ZH = {
    "usage: ": "用法：", "options": "选项", "positional arguments": "参数",
    "show this help message and exit": "显示本帮助并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "expected one argument": "需要一个值",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
}


def _zh(text: str) -> str:
    return _ARGPARSE_ZH.get(text, text)


argparse._ = _zh   # argparse looks its few fixed strings up through this name


class CliError(Exception):
    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def _as_of(text: str | None) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        t = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise InvalidValue("--as-of", text, "应为 ISO 日期时间，如 2025-12-31T17:00") from None
    if t.tzinfo is not None:
        t = t.tz_convert("Asia/Shanghai").tz_localize(None)
    return t


def _progress(args) -> jobs.Progress:
    if getattr(args, "quiet", False):
        return jobs.quiet
    return lambda msg: print(msg, file=sys.stderr, flush=True)


def _emit_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str))
    sys.stdout.write("\n")


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


# -- commands ----------------------------------------------------------------------------------
def cmd_sample(args) -> int:
    from .core.sample import generate
    from .io.ledger_book import write_ledger

    progress = _progress(args)
    with jobs.Timer(progress)(f"生成样例台账（{args.rows} 行，{args.year} 年，种子 {args.seed}）"):
        sample = generate(args.rows, args.year, args.seed)
    with jobs.Timer(progress)(f"写入 {args.path}"):
        write_ledger(args.path, sample.sheets)
    print(f"已生成样例台账：{args.path}（{args.rows} 张工单，数据截至 {sample.as_of:%Y-%m-%d %H:%M}，"
          f"可用 --as-of {sample.as_of:%Y-%m-%dT%H:%M} 重现统计）")
    return 0


def cmd_template(args) -> int:
    from .io.ledger_book import write_ledger

    write_ledger(args.path)
    print(f"已生成空白台账模板：{args.path}")
    return 0


def cmd_check(args) -> int:
    progress = _progress(args)
    ev = jobs.evaluate(jobs.load(args.ledger, progress), _as_of(args.as_of), progress)
    if args.json:
        _emit_json(jobs.check_json(ev))
    else:
        print(f"共 {len(ev.tickets)} 张工单：错误 {len(ev.errors)} 条，提示 {len(ev.warnings)} 条。")
        limit = args.limit
        for label, items in (("错误", ev.errors), ("提示", ev.warnings)):
            for i in items[:limit]:
                print(f"[{label}] {i.text()}")
            if len(items) > limit:
                print(f"……另有 {len(items) - limit} 条{label}未显示（用 --limit 或 --json 查看全部）")
        if not ev.errors:
            print("校验通过：没有错误。")
    return 1 if ev.errors else 0


def cmd_compute(args) -> int:
    from .io.writer import Table, write_tables

    progress = _progress(args)
    ev = jobs.evaluate(jobs.load(args.ledger, progress), _as_of(args.as_of), progress)
    if args.out:
        out = Path(args.out)
        if out.suffix.lower() != ".xlsx":
            raise InvalidValue("--out", args.out, "输出文件应以 .xlsx 结尾")
        if out.resolve() == Path(args.ledger).resolve():
            raise InvalidValue("--out", args.out, "不能覆盖输入台账，请换一个文件名")
        frame = jobs.computed_frame(ev, mask=args.mask)
        with jobs.Timer(progress)(f"写入 {out}"):
            write_tables(out, [Table("计算结果", frame, widths={"诉求内容": 40, "提示": 40})])
        _log(args, "计算", f"{ev.as_of:%Y-%m-%d %H:%M}", len(frame), [out], "已脱敏" if args.mask else "")
    if args.json:
        _emit_json(jobs.compute_json(ev))
        return 0
    print(f"统计时点 {ev.as_of:%Y-%m-%d %H:%M}，共 {len(ev.tickets)} 张工单。")
    print(_table([[k, str(v)] for k, v in jobs.status_counts(ev).items()], ["状态", "工单数"]))
    flags = jobs.flag_counts(ev)
    if flags:
        print()
        print(_table([[k, str(v)] for k, v in flags.items()], ["提示", "工单数"]))
    if ev.errors:
        print(f"\n注意：有 {len(ev.errors)} 条数据错误，相关工单的状态为“数据有误”，请运行 jsjb check 查看。")
    if args.out:
        print(f"\n计算结果已写入：{args.out}")
    return 0


def _out_dir(args) -> Path:
    return Path(args.out) if args.out else Path(args.ledger).resolve().parent / "jsjb输出"


def _ranking_rows(data: dict) -> list[list[str]]:
    def pct(v):
        return "无数据" if v is None else f"{v:.1%}"

    rows = []
    for e in data["enterprises"]:
        rows.append([str(e["rank"]) if e["rank"] is not None else "-", e["enterprise"], str(e["received"]),
                     pct(e["response_rate"]), pct(e["resolution_rate"]), pct(e["satisfaction_rate"]),
                     f"{e['deductions']:g}", f"{e['bonuses']:g}",
                     f"{e['total']:.2f}" if e["rank"] is not None else (e.get("note") or "")])
    return rows


RANK_HEADERS = ["排名", "承办企业", "受理", "响应率", "解决率", "满意率", "扣分", "加分", "总分"]


def _report_warnings(data: dict) -> None:
    for item in data.get("sheet_issues", []):
        print(f"提示：{item['sheet']}第{item['row']}行【{item['column']}】：{item['message']}（该行未计入）",
              file=sys.stderr)
    if data.get("invalid"):
        rows = "、".join(str(i["row"]) for i in data["invalid"][:20])
        print(f"注意：{len(data['invalid'])} 张工单数据有误，未计入三率（台账第 {rows} 行…），请运行 jsjb check 查看。",
              file=sys.stderr)


def cmd_bulletin(args) -> int:
    from .core import stats
    from .io.reports import bulletin_files, parallel_workers

    progress = _progress(args)
    period = stats.month(args.month)
    ev = jobs.evaluate(jobs.load(args.ledger, progress), _as_of(args.as_of), progress)
    rep = jobs.make_report(ev, period)
    data = jobs.report_json(ev, rep)
    with jobs.Timer(progress)("写入月通报工作簿"):
        files = bulletin_files(_out_dir(args), rep, ev.tickets, ev.computed, ev.ledger.enterprises, progress,
                               workers=parallel_workers())
    data["files"] = {"bulletin": str(files["bulletin"]), "enterprises": {k: str(v) for k, v in files["enterprises"].items()}}
    _log(args, "月通报", period.label, int(rep.table["received"].sum()), [files["bulletin"], *files["enterprises"].values()])
    _report_warnings(data)
    if args.json:
        _emit_json(data)
        return 0
    print(f"{period.title}月通报（统计时点 {ev.as_of:%Y-%m-%d %H:%M}）")
    print(_table(_ranking_rows(data), RANK_HEADERS))
    print(f"\n月通报：{files['bulletin']}")
    print(f"各企业工作簿（{len(files['enterprises'])} 个）：{_out_dir(args)}")
    return 0


def cmd_assess(args) -> int:
    from .core import stats
    from .io.reports import write_assessment

    progress = _progress(args)
    period = stats.year(args.year)
    ev = jobs.evaluate(jobs.load(args.ledger, progress), _as_of(args.as_of), progress)
    rep = jobs.make_report(ev, period, annual=True)
    data = jobs.report_json(ev, rep)
    path = write_assessment(_out_dir(args) / f"年度考核_{period.label}.xlsx", rep)
    data["files"] = {"assessment": str(path)}
    _log(args, "年度考核", period.label, int(rep.table["received"].sum()), [path])
    _report_warnings(data)
    if args.json:
        _emit_json(data)
        return 0
    print(f"{period.title}“接诉即办”考核（统计时点 {ev.as_of:%Y-%m-%d %H:%M}）")
    print(_table(_ranking_rows(data), RANK_HEADERS))
    print(f"\n年度考核：{path}")
    return 0


def _log(args, job: str, period: str = "", rows="", outputs=(), note: str = "") -> None:
    """Append the job to the run log; a log that cannot be written is only a warning."""
    from .io import runlog

    ledger = getattr(args, "ledger", None)
    try:
        runlog.append(runlog.log_path(ledger), runlog.record(job, period, ledger or "", rows, outputs, note))
    except OSError as e:
        print(f"提示：无法写入运行记录（{e}）", file=sys.stderr)


def cmd_dispatch(args) -> int:
    from .io.everyday import write_dispatch

    progress = _progress(args)
    ev = jobs.evaluate(jobs.load(args.ledger, progress), _as_of(args.as_of), progress)
    dl = jobs.make_dispatch(ev)
    data = jobs.dispatch_json(ev, dl)
    with jobs.Timer(progress)("写入日调度工作簿"):
        files = write_dispatch(_out_dir(args), dl, ev.tickets, ev.computed, ev.ledger.enterprises, progress)
    data["files"] = {"office": str(files["office"]), "enterprises": {k: str(v) for k, v in files["enterprises"].items()}}
    _log(args, "日调度", f"{ev.as_of:%Y-%m-%d %H:%M}", len(dl.items), [files["office"], *files["enterprises"].values()])
    if args.json:
        _emit_json(data)
        return 0
    print(f"日调度（{ev.as_of:%Y-%m-%d %H:%M}）：需督办 {len(dl.items)} 件")
    counts = dl.counts.reset_index()
    print(_table([[str(v) for v in row] for row in counts.itertuples(index=False)], ["承办企业", *dl.counts.columns]))
    print(f"\n日调度：{files['office']}")
    print(f"各企业督办清单（{len(files['enterprises'])} 个，来话人已脱敏）：{_out_dir(args)}")
    return 0


def cmd_archive(args) -> int:
    from .io.everyday import read_numbers, write_archive

    progress = _progress(args)
    ev = jobs.evaluate(jobs.load(args.ledger, progress), _as_of(args.as_of), progress)
    out = Path(args.out) if args.out else Path(args.ledger).resolve().parent / "jsjb输出" / "归档.xlsx"
    if out.suffix.lower() != ".xlsx":
        raise InvalidValue("--out", args.out, "归档文件应以 .xlsx 结尾")
    if out.resolve() == Path(args.ledger).resolve():
        raise InvalidValue("--out", args.out, "不能覆盖输入台账，请换一个文件名")
    previous = read_numbers(out)
    numbers, frames = jobs.make_archive(ev, previous)
    with jobs.Timer(progress)(f"写入归档 {out}"):
        write_archive(out, frames, ev.as_of)
    new = len(numbers) - sum(1 for i in ev.tickets.loc[numbers.index, "工单编号"] if i in previous)
    _log(args, "归档", f"{ev.as_of:%Y-%m-%d %H:%M}", len(numbers), [out], f"新编号 {new} 件")
    data = {"as_of": iso(ev.as_of), "archived": len(numbers), "new": new, "file": str(out),
            "years": [k for k in frames if k.endswith("年度台账")]}
    if args.json:
        _emit_json(data)
        return 0
    print(f"已归档 {len(numbers)} 件已办结工单（本次新编号 {new} 件），年度台账：{'、'.join(data['years'])}")
    print(f"归档文件：{out}")
    return 0


def cmd_mail(args) -> int:
    import getpass

    from .io import mailer
    from .io.reader import read_ledger

    progress = _progress(args)
    ledger = read_ledger(args.ledger)
    host, port = None, None
    if args.smtp:
        host, _, port_text = args.smtp.rpartition(":")
        if not host or not port_text.isdigit():
            raise InvalidValue("--smtp", args.smtp, "应为 主机:端口，如 smtp.example.invalid:587")
        port = int(port_text)
    settings = mailer.Settings.from_env(host=host, port=port, security=args.security, user=args.user,
                                        sender=args.sender, cafile=args.cafile)
    outgoing, report = mailer.plan(Path(args.dir), ledger.enterprises, args.month)
    if args.dry_run:
        mailer.dry_run(outgoing, Path(args.dir), settings.sender, report)
    else:
        if settings.user and settings.password is None:
            if not sys.stdin or not sys.stdin.isatty():
                raise InvalidValue("密码", "", "请通过环境变量 JSJB_SMTP_PASSWORD 提供邮箱密码")
            settings.password = getpass.getpass(f"{settings.user} 的邮箱密码：")
        mailer.send(outgoing, settings, report, progress)
    _log(args, "发送通报（演练）" if args.dry_run else "发送通报", report.period, len(report.sent),
         [s.get("eml") or s["file"] for s in report.sent],
         f"成功 {len(report.sent)}，失败 {len(report.failed)}，未发送 {len(report.skipped)}")
    if args.json:
        _emit_json(report.as_dict())
    else:
        verb = "已生成待发送邮件" if args.dry_run else "已发送"
        for s in report.sent:
            print(f"{verb}：{s['enterprise']} <{s['address']}>  {s.get('eml') or s['file']}")
        for f in report.failed:
            print(f"失败：{f['enterprise']} <{f['address']}>：{f['reason']}")
        for k in report.skipped:
            print(f"未发送：{k['enterprise']}：{k['reason']}")
        print(f"合计：{verb} {len(report.sent)}，失败 {len(report.failed)}，未发送 {len(report.skipped)}。")
    return 1 if report.failed or report.skipped else 0


def cmd_demo(args) -> int:
    from .core.sample import generate
    from .io.ledger_book import write_ledger

    progress = _progress(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ledger_path = out / "样例台账.xlsx"
    with jobs.Timer(progress)(f"生成样例台账（{args.rows} 行）"):
        sample = generate(args.rows)
        write_ledger(ledger_path, sample.sheets)
    ev = jobs.evaluate(jobs.load(ledger_path, progress), sample.as_of, progress)
    print(f"样例台账：{ledger_path}（{len(ev.tickets)} 张工单，数据截至 {ev.as_of:%Y-%m-%d %H:%M}）")
    return _demo_report(args, ev, ledger_path, out, progress)


def _demo_report(args, ev, ledger_path, out, progress) -> int:
    """The main job on the sample: the bulletin of its last complete month."""
    from .core import stats
    from .io.reports import bulletin_files

    last_month = (ev.as_of.to_period("M") - 1).strftime("%Y-%m")
    period = stats.month(last_month)
    rep = jobs.make_report(ev, period)
    data = jobs.report_json(ev, rep)
    files = bulletin_files(out / "月通报", rep, ev.tickets, ev.computed, ev.ledger.enterprises, progress)
    print(f"\n{period.title}月通报（统计时点 {ev.as_of:%Y-%m-%d %H:%M}）")
    print(_table(_ranking_rows(data), RANK_HEADERS))
    print(f"\n月通报：{files['bulletin']}")
    print(f"各企业工作簿（{len(files['enterprises'])} 个，来话人已脱敏）：{out / '月通报'}")
    print(f"再试试：jsjb check {ledger_path} ｜ jsjb assess {ledger_path} --year {period.start.year} "
          f"--as-of {ev.as_of:%Y-%m-%dT%H:%M}")
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

    c = command("template", "生成空白台账模板（与 workbook/ledger_template.xlsx 相同）", cmd_template)
    c.add_argument("path", metavar="PATH", help="输出文件（.xlsx）")

    c = command("sample", "生成虚构的样例台账（人员和企业均为虚构），同一种子结果相同", cmd_sample)
    c.add_argument("path", metavar="PATH", help="输出文件（.xlsx）")
    c.add_argument("--rows", type=_positive, default=2000, metavar="N", help="工单数（默认 2000，最多 1000000）")
    c.add_argument("--year", type=_year, default=2025, metavar="YYYY", help="派单年份（默认 2025）")
    c.add_argument("--seed", type=int, default=12345, metavar="S", help="随机种子（默认 12345）")

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
    c.add_argument("--mask", action="store_true", help="输出时对来话人、电话脱敏，去掉地址（第20条）")

    c = command("bulletin", "月通报：各企业三率、得分、扣加分和排名，专项清单，每个企业一个工作簿", cmd_bulletin)
    ledger_arg(c)
    c.add_argument("--month", required=True, metavar="YYYY-MM", help="通报月份，如 2025-12（按派单时间统计）")
    as_of_arg(c)
    c.add_argument("--out", metavar="DIR", help="输出文件夹（默认：台账所在文件夹下的“jsjb输出”）")
    json_arg(c)

    c = command("assess", "年度考核：100分制考核表（含考核录入的人工评分、三率得分、扣加分）", cmd_assess)
    ledger_arg(c)
    c.add_argument("--year", required=True, type=_year, metavar="YYYY", help="考核年度，如 2025")
    as_of_arg(c)
    c.add_argument("--out", metavar="DIR", help="输出文件夹（默认：台账所在文件夹下的“jsjb输出”）")
    json_arg(c)

    c = command("dispatch", "日调度：需督办的工单（超期、未确认归属、临期、材料将到期、延期申请将截止、挂单），按企业分组",
                cmd_dispatch)
    ledger_arg(c)
    as_of_arg(c)
    c.add_argument("--out", metavar="DIR", help="输出文件夹（默认：台账所在文件夹下的“jsjb输出”）")
    json_arg(c)

    c = command("archive", "归档：已办结工单编归档号（同一工单编号不变，重复运行不会重复编号），含材料清单和年度台账",
                cmd_archive)
    ledger_arg(c)
    as_of_arg(c)
    c.add_argument("--out", metavar="PATH",
                   help="归档工作簿（默认：台账所在文件夹下的 jsjb输出/归档.xlsx；已有则沿用其中的编号）")
    json_arg(c)

    c = command("mail", "发送通报：把通报文件夹中各企业的工作簿发送到“承办企业”表中的邮箱", cmd_mail)
    c.add_argument("dir", metavar="DIR", help="月通报输出文件夹（jsjb bulletin 的 --out）")
    c.add_argument("--ledger", required=True, metavar="LEDGER", help="台账工作簿（读取“承办企业”表中的邮箱），只读")
    c.add_argument("--month", metavar="YYYY-MM", help="要发送的月份（文件夹中只有一个月份时可省略）")
    c.add_argument("--smtp", metavar="HOST:PORT", help="邮件服务器（默认取环境变量 JSJB_SMTP_HOST/JSJB_SMTP_PORT）")
    c.add_argument("--security", choices=("starttls", "ssl", "none"), help="加密方式（默认取 JSJB_SMTP_SECURITY，否则 none）")
    c.add_argument("--user", metavar="USER", help="登录用户名（默认取 JSJB_SMTP_USER）；密码取 JSJB_SMTP_PASSWORD 或提示输入")
    c.add_argument("--from", dest="sender", metavar="ADDR", help="发件人地址（默认取 JSJB_SMTP_FROM 或用户名）")
    c.add_argument("--cafile", metavar="PEM", help="额外信任的 CA 证书（单位内部邮件服务器用，默认取 JSJB_SMTP_CAFILE）")
    c.add_argument("--dry-run", action="store_true", help="不发送，只列出将发送的邮件并保存为 .eml 文件")
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


def _year(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是年份") from None
    if not 2004 <= v <= 2100:
        raise argparse.ArgumentTypeError(f"年份“{text}”超出范围（2004–2100）")
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
    except LedgerError as e:
        print(f"错误：{e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except OSError as e:
        print(f"错误：无法读写文件（{e.strerror or e}：{e.filename or ''}）", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
