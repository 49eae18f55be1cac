/**
 * A piece of a DynamoDB expression with the attribute names and values it uses, so that a whole
 * expression sends exactly those (DynamoDB refuses a name or value an expression does not use).
 */
export interface ExpressionPart {
  text: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
  /** How the text combines its pieces, so that nesting puts parentheses where they are needed. */
  joint?: 'AND' | 'OR';
}

/** One comparison or function call, with the names and values its text uses. */
export const part = (
  text: string,
  values: Record<string, unknown> = {},
  names: Record<string, string> = {},
): ExpressionPart => ({ text, names, values });

const merge = (parts: readonly ExpressionPart[]) => ({
  names: Object.assign({}, ...parts.map((piece) => piece.names)) as Record<string, string>,
  values: Object.assign({}, ...parts.map((piece) => piece.values)) as Record<string, unknown>,
});

const combine = (joint: 'AND' | 'OR', parts: readonly ExpressionPart[]): ExpressionPart => {
  const text = parts
    .map((piece) => (piece.joint && piece.joint !== joint ? `(${piece.text})` : piece.text))
    .join(` ${joint} `);
  return { text, ...merge(parts), joint };
};

/** Every condition holds. */
export const and = (...parts: ExpressionPart[]): ExpressionPart => combine('AND', parts);

/** At least one condition holds. */
export const or = (...parts: ExpressionPart[]): ExpressionPart => combine('OR', parts);

/** An UpdateExpression's clauses: SET assignments, ADD and DELETE actions (one part each). */
export interface UpdateClauses {
  set: ExpressionPart[];
  add?: ExpressionPart[];
  delete?: ExpressionPart[];
}

/**
 * The expression fields of an UpdateItem: the update, its condition, and the names and values
 * both use (absent when there are none, as DynamoDB wants).
 */
export const updateInput = (update: UpdateClauses, condition: ExpressionPart) => {
  const clauses = [
    ['SET', update.set],
    ['ADD', update.add ?? []],
    ['DELETE', update.delete ?? []],
  ] as const;
  const used = [...clauses.flatMap(([, parts]) => parts), condition];
  const { names, values } = merge(used);
  return {
    UpdateExpression: clauses
      .filter(([, parts]) => parts.length > 0)
      .map(([action, parts]) => `${action} ${parts.map((piece) => piece.text).join(', ')}`)
      .join(' '),
    ConditionExpression: condition.text,
    ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
    ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
  };
};
