/** Renderer entry: the app, or the timeline benchmark page (`?bench=timeline`). */
import { createRoot } from 'react-dom/client';

import { App } from './App.tsx';
import { installDropGuard } from './drop-guard.ts';
import { TimelineBench } from './views/TimelineBench.tsx';
import './styles.css';

// a file dropped outside the drop zone must never navigate the window (issue 12, finding 3)
installDropGuard(window);
const bench = new URLSearchParams(location.search).get('bench');
createRoot(document.getElementById('root')!).render(bench === 'timeline' ? <TimelineBench /> : <App />);
