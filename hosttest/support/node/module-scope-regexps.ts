/**
 * Regular expressions a module makes while it loads (at module scope, or in a static class member):
 * on the device such a module is preloaded, its RegExp objects live in flash, and repeated matches
 * on them crash XS (Moddable SDK 8.2.3; see hosttest/node/preload-rules.test.ts). Runtime code
 * makes its RegExps at runtime: in a function (once, kept in a module `let`), or in an instance
 * field initializer.
 */
import ts from "typescript";

export interface RegexpAtLoad {
  line: number;
  text: string;
}

/** Each regex literal or `new RegExp`/`RegExp(...)` in `source` evaluated when the module loads. */
export function regexpsAtLoad(fileName: string, source: string): RegexpAtLoad[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: RegexpAtLoad[] = [];
  const atLoad = (node: ts.Node): boolean => {
    for (let p: ts.Node | undefined = node.parent; p !== undefined; p = p.parent) {
      if (ts.isFunctionLike(p)) return false;
      // An instance field's initializer runs when an instance is made; a static one when the class is.
      if (ts.isPropertyDeclaration(p) && !p.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) return false;
      if (ts.isClassStaticBlockDeclaration(p)) return true;
    }
    return true;
  };
  const visit = (node: ts.Node) => {
    const isRegexp =
      node.kind === ts.SyntaxKind.RegularExpressionLiteral ||
      ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === "RegExp");
    if (isRegexp && atLoad(node)) {
      found.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, text: node.getText(sf).slice(0, 60) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}
