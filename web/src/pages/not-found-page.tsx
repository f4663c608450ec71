import { EmptyState } from '../components/empty-state.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { Link } from '../router/link.tsx'

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState icon="overview" title="There is no page at this address">
        <p>
          The link may be old, or the service this page belongs to is not enabled on this node.{' '}
          <Link href="/">Go to the overview</Link>.
        </p>
      </EmptyState>
    </>
  )
}
