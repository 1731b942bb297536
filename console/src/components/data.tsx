import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { errorMessage, listAll, type ListPath } from '../api.ts';
import { ErrorText, Loading } from './ui.tsx';

/** What a page needs of a TanStack query (or of several, through `both`). */
export interface QueryLike<T> {
  isLoading: boolean;
  error: unknown;
  data: T | undefined;
}

/** Every item of a list route, cached under `key` (what a change invalidates). */
export function useList<P extends ListPath>(key: string, path: P, staleTime?: number) {
  return useQuery({ queryKey: [key], queryFn: () => listAll(path), staleTime });
}

/** Two queries as one: loading while either is, failed when either failed. */
export function both<A, B>(a: QueryLike<A>, b: QueryLike<B>): QueryLike<[A, B]> {
  return {
    isLoading: a.isLoading || b.isLoading,
    error: a.error ?? b.error,
    data: a.data === undefined || b.data === undefined ? undefined : [a.data, b.data],
  };
}

/** A query's loading and error states, then what its data renders. */
export function Queried<T>({ query, children }: { query: QueryLike<T>; children: (data: T) => ReactNode }) {
  if (query.isLoading) return <Loading />;
  if (query.error) return <ErrorText>{errorMessage(query.error)}</ErrorText>;
  return <>{children(query.data as T)}</>;
}

interface TableProps<Row> {
  caption: ReactNode;
  /** Column headings; `false` leaves a column out (one the member's rules do not allow). */
  columns: (string | false)[];
  rows: readonly Row[];
  /** One `<tr>` with its key. */
  row: (item: Row) => ReactNode;
  /** Rows after the listed ones. */
  children?: ReactNode;
  testId?: string;
}

export function Table<Row>({ caption, columns, rows, row, children, testId }: TableProps<Row>) {
  return (
    <table className="table" data-testid={testId}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.filter(Boolean).map((column) => (
            <th key={column as string} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((item) => row(item))}
        {children}
      </tbody>
    </table>
  );
}

type QueryTableProps<T, Row> = Omit<TableProps<Row>, 'rows'> & { empty?: ReactNode } & (
    { query: QueryLike<readonly Row[]>; rows?: undefined } | { query: QueryLike<T>; rows: (data: T) => readonly Row[] }
  );

/** A query's table (its rows are its data, or what `rows` picks from it), or `empty` in its place when it lists nothing. */
export function QueryTable<T, Row>({ query, rows, empty, ...table }: QueryTableProps<T, Row>) {
  return (
    <Queried<unknown> query={query}>
      {(data) => {
        const list = rows ? rows(data as T) : (data as readonly Row[]);
        return empty !== undefined && !list.length ? empty : <Table {...table} rows={list} />;
      }}
    </Queried>
  );
}
