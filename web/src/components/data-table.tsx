import type { ComponentChildren } from 'preact'

export interface Column<T> {
  id: string
  label: string
  render: (row: T) => ComponentChildren
  /** numbers align right on wide screens */
  numeric?: boolean
  /** the column that names the row: the title of its card on narrow screens */
  primary?: boolean
}

/**
 * A table that becomes a list of cards on narrow screens: each cell then shows its column's label
 * beside its value (data-label), and the primary column titles the card.
 */
export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  rowClass,
  rowLabel,
}: {
  caption: string
  columns: Column<T>[]
  rows: T[]
  rowKey: (row: T) => string
  rowClass?: (row: T) => string | undefined
  /** a test id and accessible handle for each row */
  rowLabel?: (row: T) => string
}) {
  return (
    <div class="table-wrap">
      <table class="data-table">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.id} scope="col" class={c.numeric ? 'num' : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} class={rowClass?.(row)} data-row={rowLabel?.(row)}>
              {columns.map((c) =>
                c.primary ? (
                  <th key={c.id} scope="row" class="cell-primary" data-label={c.label}>
                    {c.render(row)}
                  </th>
                ) : (
                  <td key={c.id} class={c.numeric ? 'num' : undefined} data-label={c.label} data-col={c.id}>
                    {c.render(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
