import type { ComponentChildren, TargetedMouseEvent } from 'preact'
import { navigate } from './router.ts'

interface LinkProps {
  href: string
  class?: string
  'aria-current'?: 'page' | undefined
  onClick?: (event: TargetedMouseEvent<HTMLAnchorElement>) => void
  children: ComponentChildren
}

/** An in-app link: a real <a> (middle-click, copy link work) that navigates without a reload. */
export function Link({ href, children, onClick, ...rest }: LinkProps) {
  const follow = (event: TargetedMouseEvent<HTMLAnchorElement>) => {
    onClick?.(event)
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(href)
  }
  return (
    <a href={href} onClick={follow} {...rest}>
      {children}
    </a>
  )
}
