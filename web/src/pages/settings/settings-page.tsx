import { PageHeader } from '../../components/page-header.tsx'
import { useCloud } from '../../live/use-cloud.ts'
import { InvitesSection } from './invites-section.tsx'
import { ListenAddressSection } from './listen-address-section.tsx'
import { NodeNameSection } from './node-name-section.tsx'
import { StorageSection } from './storage-section.tsx'
import { TokensSection } from './tokens-section.tsx'

export default function SettingsPage() {
  const cloud = useCloud()
  const storage = cloud.builtins.find((b) => b.name === 'storage')
  return (
    <>
      <PageHeader title="Settings" subtitle="This node's name and address, API tokens and invites." />
      <div class="columns">
        <div class="column">
          <NodeNameSection />
          <ListenAddressSection />
          {storage && <StorageSection storage={storage} />}
        </div>
        <div class="column">
          <TokensSection />
        </div>
      </div>
      {cloud.status?.cloud ? (
        <InvitesSection />
      ) : (
        <section class="card">
          <h2>Invites</h2>
          <p class="muted">
            This node is not in a cloud: join or create one on the Overview page, then invite others.
          </p>
        </section>
      )}
    </>
  )
}
