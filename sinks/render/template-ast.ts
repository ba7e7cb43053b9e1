/**
 * Checks and rewrites a parsed template before compiling it:
 * - `{{{x}}}` and `{{& x}}` (unescaped output) are refused: every value is HTML-escaped;
 * - a call to an unknown helper or a missing partial is refused now, with its line, not at send time;
 * - every `{{x}}` becomes `{{_show x}}` (and `{{h a}}` becomes `{{_show (h a)}}`) so a missing,
 *   null, NaN or structured value renders as "" and never as "undefined", "NaN" or "[object Object]".
 *
 * @example
 * const ast = hb.parse(source);
 * const problem = prepareAst(ast, { helpers: new Set(Object.keys(hb.helpers)), partials });
 * if (problem) throw new Error(`line ${problem.line}: ${problem.message}`);
 * hb.compile(ast);
 */
import { SHOW_HELPER } from "./helpers.ts";

type AstNode = hbs.AST.Node;

export interface AstProblem {
  line: number;
  message: string;
}

export interface AstScope {
  helpers: ReadonlySet<string>;
  partials: ReadonlySet<string>;
}

function isPath(n: AstNode): n is hbs.AST.PathExpression {
  return n.type === "PathExpression";
}

function hasArgs(n: { params: hbs.AST.Expression[]; hash: hbs.AST.Hash | undefined }): boolean {
  return n.params.length > 0 || (n.hash !== undefined && n.hash.pairs.length > 0);
}

class Checker {
  problem: AstProblem | undefined;
  constructor(private readonly scope: AstScope) {}

  fail(node: AstNode, message: string): void {
    this.problem ??= { line: node.loc.start.line, message };
  }

  /** A helper call by name (not a plain path such as `this.name` or `@index`). */
  checkHelper(path: hbs.AST.PathExpression): void {
    if (!this.scope.helpers.has(path.original)) this.fail(path, `unknown helper "${path.original}"`);
  }

  expressions(list: (hbs.AST.Expression | undefined)[]): void {
    for (const e of list) {
      if (e === undefined) continue;
      if (e.type === "SubExpression") {
        const s = e as hbs.AST.SubExpression;
        this.checkHelper(s.path);
        this.args(s);
      }
    }
  }

  args(n: { params: hbs.AST.Expression[]; hash: hbs.AST.Hash | undefined }): void {
    this.expressions(n.params);
    this.expressions(n.hash?.pairs.map((p) => p.value) ?? []);
  }

  partial(n: hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement): void {
    if (isPath(n.name) && !n.name.data && !this.scope.partials.has(n.name.original)) {
      this.fail(n, `unknown partial "${n.name.original}"`);
    }
    this.args(n);
  }

  mustache(m: hbs.AST.MustacheStatement): void {
    if (!m.escaped) {
      this.fail(m, "unescaped output ({{{ }}} or {{& }}) is not allowed; values are always escaped");
      return;
    }
    const path = m.path;
    const isCall = hasArgs(m) || (isPath(path) && this.scope.helpers.has(path.original));
    if (isCall && isPath(path)) this.checkHelper(path);
    this.args(m);
    const value: hbs.AST.Expression =
      isCall && isPath(path)
        ? ({
            type: "SubExpression",
            path,
            params: m.params,
            hash: m.hash,
            loc: m.loc,
          } as hbs.AST.SubExpression)
        : path;
    m.path = {
      type: "PathExpression",
      data: false,
      depth: 0,
      parts: [SHOW_HELPER],
      original: SHOW_HELPER,
      loc: m.loc,
    };
    m.params = [value];
    m.hash = { type: "Hash", pairs: [], loc: m.loc };
  }

  program(p: hbs.AST.Program | undefined): void {
    for (const s of p?.body ?? []) this.statement(s);
  }

  statement(s: hbs.AST.Statement): void {
    switch (s.type) {
      case "MustacheStatement":
        this.mustache(s as hbs.AST.MustacheStatement);
        break;
      case "BlockStatement": {
        const b = s as hbs.AST.BlockStatement;
        if (hasArgs(b)) this.checkHelper(b.path);
        this.args(b);
        this.program(b.program);
        this.program(b.inverse);
        break;
      }
      case "PartialStatement":
        this.partial(s as hbs.AST.PartialStatement);
        break;
      case "PartialBlockStatement": {
        const pb = s as hbs.AST.PartialBlockStatement;
        this.partial(pb);
        this.program(pb.program);
        break;
      }
      case "DecoratorBlock":
      case "Decorator":
        this.fail(s, "decorators are not supported");
        break;
    }
  }
}

/** Validates and rewrites `ast` in place; returns the first problem, or undefined when it may be compiled. */
export function prepareAst(ast: hbs.AST.Program, scope: AstScope): AstProblem | undefined {
  const checker = new Checker(scope);
  checker.program(ast);
  return checker.problem;
}
